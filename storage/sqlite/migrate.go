package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"time"

	"github.com/dingbridge/dingbridge/migrations"
	"github.com/dingbridge/dingbridge/storage"
)

// migrationFile is one embedded migration.
type migrationFile struct {
	name string
	sql  string
}

// migrationFiles returns the embedded SQLite migrations in name order.
func migrationFiles() ([]migrationFile, error) {
	names, err := fs.Glob(migrations.SQLite, "sqlite/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	files := make([]migrationFile, 0, len(names))
	for _, path := range names {
		b, err := fs.ReadFile(migrations.SQLite, path)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", path, err)
		}
		files = append(files, migrationFile{name: path[len("sqlite/"):], sql: string(b)})
	}
	return files, nil
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	name       TEXT PRIMARY KEY,
	applied_at INTEGER NOT NULL
)`

// Migrate applies every embedded migration that has not been applied yet,
// in name order, each in its own transaction that also records its name.
// It refuses to touch a database that has an applied migration this binary
// does not know, which means the schema is newer than the code.
func (s *Store) Migrate(ctx context.Context) error {
	files, err := migrationFiles()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, createMigrationsTable); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	applied, err := s.appliedMigrations(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := checkUnknown(files, applied); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, f := range files {
		if _, ok := applied[f.name]; ok {
			continue
		}
		ran := false
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			// Another process may have applied it since the check above;
			// the IMMEDIATE transaction holds the write lock from here on.
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = ?`, f.name).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, f.sql); err != nil {
				return err
			}
			ran = true
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`,
				f.name, time.Now().UnixMicro())
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate: apply %s: %w", f.name, err)
		}
		if ran {
			s.log.InfoContext(ctx, "applied migration", "migration", f.name)
		}
	}
	return nil
}

// checkUnknown reports an applied migration that is not among files.
func checkUnknown(files []migrationFile, applied map[string]time.Time) error {
	var unknown []string
	for name := range applied {
		if !slices.ContainsFunc(files, func(f migrationFile) bool { return f.name == name }) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return fmt.Errorf("database has applied migrations %v that this binary does not know: the schema is newer than this version of dingbridge", unknown)
}

// appliedMigrations returns the applied migration names with their times;
// none when schema_migrations does not exist.
func (s *Store) appliedMigrations(ctx context.Context) (map[string]time.Time, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema
		WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n); err != nil {
		return nil, fmt.Errorf("look for schema_migrations: %w", err)
	}
	applied := map[string]time.Time{}
	if n == 0 {
		return applied, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT name, applied_at FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var at time.Time
		if err := rows.Scan(&name, timeDest{&at}); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		applied[name] = at
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	return applied, nil
}

// MigrationStatus lists every embedded migration, applied or pending, in
// name order, followed by applied migrations this binary does not know.
func (s *Store) MigrationStatus(ctx context.Context) ([]storage.Migration, error) {
	files, err := migrationFiles()
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	applied, err := s.appliedMigrations(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	var out []storage.Migration
	for _, f := range files {
		at, ok := applied[f.name]
		out = append(out, storage.Migration{Name: f.name, Applied: ok, AppliedAt: at})
		delete(applied, f.name)
	}
	var unknown []storage.Migration
	for name, at := range applied {
		unknown = append(unknown, storage.Migration{Name: name, Applied: true, AppliedAt: at})
	}
	sort.Slice(unknown, func(i, j int) bool { return unknown[i].Name < unknown[j].Name })
	return append(out, unknown...), nil
}
