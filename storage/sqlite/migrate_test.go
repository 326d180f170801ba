package sqlite_test

import (
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/dingbridge/dingbridge/storage/sqlite"
)

// openRaw opens the database file without the backend, to inspect or
// tamper with it as another program would.
func openRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath())
	if err != nil {
		t.Fatalf("open raw: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func open(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestMigrationStatusAndIdempotentMigrate(t *testing.T) {
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "db"))

	before, err := s.MigrationStatus(ctx)
	if err != nil {
		t.Fatalf("MigrationStatus before Migrate: %v", err)
	}
	if len(before) == 0 || before[0].Name != "0001_init.sql" {
		t.Fatalf("MigrationStatus before = %+v, want 0001_init.sql first", before)
	}
	for _, m := range before {
		if m.Applied || !m.AppliedAt.IsZero() {
			t.Errorf("before Migrate: %s applied=%v at %v, want pending", m.Name, m.Applied, m.AppliedAt)
		}
	}

	start := time.Now().Add(-time.Second)
	for i := range 2 {
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
	}
	after, err := s.MigrationStatus(ctx)
	if err != nil {
		t.Fatalf("MigrationStatus after Migrate: %v", err)
	}
	if len(after) != len(before) {
		t.Fatalf("MigrationStatus after = %d migrations, want %d", len(after), len(before))
	}
	for i, m := range after {
		if m.Name != before[i].Name || !m.Applied {
			t.Errorf("after Migrate: #%d = %+v, want %s applied", i, m, before[i].Name)
		}
		if m.AppliedAt.Before(start) || m.AppliedAt.After(time.Now()) || m.AppliedAt.Location() != time.UTC {
			t.Errorf("%s AppliedAt = %v, want a UTC time from this test", m.Name, m.AppliedAt)
		}
	}
	var n int
	if err := openRaw(t, s.Path()).QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatalf("count schema_migrations: %v", err)
	}
	if n != len(after) {
		t.Errorf("schema_migrations has %d rows after two Migrate calls, want %d", n, len(after))
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	raw := openRaw(t, s.Path())
	if _, err := raw.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES ('9999_future.sql', 0)`); err != nil {
		t.Fatalf("insert future migration: %v", err)
	}
	err := s.Migrate(ctx)
	if err == nil || !strings.Contains(err.Error(), "9999_future.sql") || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Migrate with unknown applied migration: err = %v, want an error naming 9999_future.sql and a newer schema", err)
	}
	status, err := s.MigrationStatus(ctx)
	if err != nil {
		t.Fatalf("MigrationStatus: %v", err)
	}
	last := status[len(status)-1]
	if last.Name != "9999_future.sql" || !last.Applied {
		t.Errorf("MigrationStatus last = %+v, want 9999_future.sql applied", last)
	}
}

func TestConcurrentMigrate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	stores := []*sqlite.Store{open(t, path), open(t, path), open(t, path)}
	errs := make([]error, len(stores))
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Go(func() { errs[i] = s.Migrate(t.Context()) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate #%d: %v", i, err)
		}
	}
	status, err := stores[0].MigrationStatus(t.Context())
	if err != nil {
		t.Fatalf("MigrationStatus: %v", err)
	}
	for _, m := range status {
		if !m.Applied {
			t.Errorf("%s not applied after concurrent Migrate", m.Name)
		}
	}
}

func TestOpenPathAndPragmas(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "a dir with space, 100% and #?")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "dingbridge.db")
	s := open(t, path)
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file not created at the given path: %v", err)
	}
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Errorf("no write-ahead log next to the database: %v", err)
	}
	var mode string
	if err := openRaw(t, path).QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatalf("journal_mode: %v", err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}

	if _, err := sqlite.Open(ctx, "", sqlite.Options{}); err == nil {
		t.Error("Open with empty path: want an error")
	}
}

func TestClosedStore(t *testing.T) {
	s := newStore(t)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Ping(t.Context()); err == nil {
		t.Error("Ping after Close: want an error")
	}
	if _, err := s.GetClient(t.Context(), "x"); err == nil {
		t.Errorf("GetClient after Close: err = %v, want an error", err)
	}
}
