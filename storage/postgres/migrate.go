package postgres

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dingbridge/dingbridge/migrations"
	"github.com/dingbridge/dingbridge/storage"
)

// migrationFile is one embedded migration.
type migrationFile struct {
	name string // file name, e.g. "0001_init.sql"
	sql  string
}

// loadMigrations returns the embedded PostgreSQL migrations in the order
// they apply (lexical order of their numbered names).
func loadMigrations() ([]migrationFile, error) {
	names, err := fs.Glob(migrations.Postgres, "postgres/*.sql")
	if err != nil {
		return nil, fmt.Errorf("postgres: list migrations: %w", err)
	}
	slices.Sort(names)
	files := make([]migrationFile, 0, len(names))
	for _, n := range names {
		b, err := fs.ReadFile(migrations.Postgres, n)
		if err != nil {
			return nil, fmt.Errorf("postgres: read migration %s: %w", n, err)
		}
		files = append(files, migrationFile{name: path.Base(n), sql: string(b)})
	}
	return files, nil
}

// Migrate applies every pending migration, each in its own transaction,
// recording its name in schema_migrations. It holds a session advisory lock
// derived from current_schema() on one dedicated connection throughout, so
// replicas starting at once apply each file exactly once. It refuses a
// database in which a migration this binary does not know has been applied
// (the database is newer than the binary).
func (s *Store) Migrate(ctx context.Context) error {
	files, err := loadMigrations()
	if err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: acquire connection: %w", err)
	}
	// The advisory lock belongs to this session: hash the schema name so
	// that schemas of one database migrate independently.
	const lockSQL = `SELECT pg_advisory_lock(hashtextextended('dingbridge.migrate:' || current_schema(), 0))`
	if _, err := conn.Exec(ctx, lockSQL); err != nil {
		conn.Release()
		return fmt.Errorf("postgres: migrate: take lock: %w", err)
	}
	defer s.unlockMigrations(conn)

	const createSQL = `CREATE TABLE IF NOT EXISTS schema_migrations (
		name       text PRIMARY KEY,
		applied_at timestamptz NOT NULL
	)`
	if _, err := conn.Exec(ctx, createSQL); err != nil {
		return fmt.Errorf("postgres: migrate: create schema_migrations: %w", err)
	}
	applied, err := appliedMigrations(ctx, conn.Conn())
	if err != nil {
		return err
	}
	known := make(map[string]bool, len(files))
	for _, f := range files {
		known[f.name] = true
	}
	for name := range applied {
		if !known[name] {
			return fmt.Errorf("postgres: migrate: database has migration %s applied, which this binary does not know; upgrade the binary", name)
		}
	}
	for _, f := range files {
		if _, ok := applied[f.name]; ok {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			// No arguments: pgx sends the file over the simple protocol,
			// which runs several statements.
			if _, err := tx.Exec(ctx, f.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES ($1, now())`, f.name)
			return err
		})
		if err != nil {
			return fmt.Errorf("postgres: migrate: apply %s: %w", f.name, err)
		}
		s.log.InfoContext(ctx, "applied migration", "migration", f.name)
	}
	return nil
}

// unlockMigrations releases the migration lock and returns conn to the
// pool. If the unlock fails the connection is closed instead, which ends
// the session and with it the lock.
func (s *Store) unlockMigrations(conn *pgxpool.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock(hashtextextended('dingbridge.migrate:' || current_schema(), 0))`); err != nil {
		s.log.Warn("release migration lock; closing its connection", "err", err)
		c := conn.Hijack()
		_ = c.Close(ctx)
		return
	}
	conn.Release()
}

// appliedMigrations returns the applied migrations' times by name.
func appliedMigrations(ctx context.Context, q interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}) (map[string]time.Time, error) {
	rows, err := q.Query(ctx, `SELECT name, applied_at FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("postgres: read schema_migrations: %w", err)
	}
	applied := make(map[string]time.Time)
	var (
		name string
		at   time.Time
	)
	_, err = pgx.ForEachRow(rows, []any{&name, &at}, func() error {
		applied[name] = at.UTC()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: read schema_migrations: %w", err)
	}
	return applied, nil
}

// MigrationStatus lists the embedded migrations in order, each marked
// applied or pending, followed by any applied migration this binary does
// not know.
func (s *Store) MigrationStatus(ctx context.Context) ([]storage.Migration, error) {
	files, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return nil, fmt.Errorf("postgres: migration status: %w", err)
	}
	applied := map[string]time.Time{}
	if exists {
		if applied, err = appliedMigrations(ctx, s.pool); err != nil {
			return nil, err
		}
	}
	status := make([]storage.Migration, 0, len(files))
	for _, f := range files {
		at, ok := applied[f.name]
		status = append(status, storage.Migration{Name: f.name, Applied: ok, AppliedAt: at})
		delete(applied, f.name)
	}
	var unknown []string
	for name := range applied {
		unknown = append(unknown, name)
	}
	slices.SortFunc(unknown, strings.Compare)
	for _, name := range unknown {
		status = append(status, storage.Migration{Name: name, Applied: true, AppliedAt: applied[name]})
	}
	return status, nil
}
