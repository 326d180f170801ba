package postgres_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dingbridge/dingbridge/storage/postgres"
	"github.com/dingbridge/dingbridge/storage/postgres/postgrestest"
)

func open(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), dsn, postgres.Options{MaxConns: 2})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// exec runs sql on a direct connection to dsn.
func exec(t *testing.T, dsn, sql string, args ...any) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), sql, args...); err != nil {
		t.Fatalf("exec %q: %v", sql, err)
	}
}

func TestMigrateConcurrentReplicas(t *testing.T) {
	dsn := postgrestest.URL(t)
	stores := make([]*postgres.Store, 5)
	for i := range stores {
		stores[i] = open(t, dsn)
	}
	errs := make([]error, len(stores))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, s := range stores {
		wg.Go(func() {
			<-start
			errs[i] = s.Migrate(t.Context())
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: Migrate: %v", i, err)
		}
	}

	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, _ := conn.Query(t.Context(), `SELECT name, count(*) FROM schema_migrations GROUP BY name ORDER BY name`)
	type rec struct {
		Name  string
		Count int64
	}
	recs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[rec])
	if err != nil {
		t.Fatal(err)
	}
	status, err := stores[0].MigrationStatus(t.Context())
	if err != nil {
		t.Fatalf("MigrationStatus: %v", err)
	}
	if len(recs) != len(status) || len(recs) == 0 {
		t.Fatalf("schema_migrations has %d names, MigrationStatus %d migrations", len(recs), len(status))
	}
	for i, r := range recs {
		if r.Count != 1 {
			t.Errorf("migration %s recorded %d times, want 1", r.Name, r.Count)
		}
		if status[i].Name != r.Name || !status[i].Applied || status[i].AppliedAt.IsZero() {
			t.Errorf("MigrationStatus[%d] = %+v, want %s applied", i, status[i], r.Name)
		}
	}
}

func TestMigrationStatusPendingThenApplied(t *testing.T) {
	s := open(t, postgrestest.URL(t))
	before, err := s.MigrationStatus(t.Context())
	if err != nil {
		t.Fatalf("MigrationStatus on empty schema: %v", err)
	}
	if len(before) == 0 || before[0].Name != "0001_init.sql" {
		t.Fatalf("MigrationStatus = %+v, want 0001_init.sql first", before)
	}
	for _, m := range before {
		if m.Applied || !m.AppliedAt.IsZero() {
			t.Errorf("%s applied on an empty schema", m.Name)
		}
	}
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	after, err := s.MigrationStatus(t.Context())
	if err != nil {
		t.Fatalf("MigrationStatus: %v", err)
	}
	for _, m := range after {
		if !m.Applied || m.AppliedAt.IsZero() || m.AppliedAt.Location().String() != "UTC" {
			t.Errorf("after Migrate: %+v, want applied at a UTC time", m)
		}
	}
}

func TestMigrateRefusesUnknownMigration(t *testing.T) {
	dsn := postgrestest.URL(t)
	s := open(t, dsn)
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	exec(t, dsn, `INSERT INTO schema_migrations (name, applied_at) VALUES ('9999_future.sql', now())`)
	err := s.Migrate(t.Context())
	if err == nil || !strings.Contains(err.Error(), "9999_future.sql") {
		t.Errorf("Migrate with an unknown applied migration: err = %v, want refusal naming it", err)
	}
	status, err := s.MigrationStatus(t.Context())
	if err != nil {
		t.Fatalf("MigrationStatus: %v", err)
	}
	last := status[len(status)-1]
	if last.Name != "9999_future.sql" || !last.Applied {
		t.Errorf("MigrationStatus last = %+v, want the unknown migration, applied", last)
	}
	// The lock was released: a second store can still take it.
	if err := open(t, dsn).Migrate(t.Context()); err == nil {
		t.Error("Migrate from another store succeeded, want refusal")
	}
}

func TestMigrateLockIsPerSchema(t *testing.T) {
	dsnA, dsnB := postgrestest.URL(t), postgrestest.URL(t)
	// Hold schema A's migration lock as a stuck replica would.
	holder, err := pgx.Connect(t.Context(), dsnA)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(context.Background())
	if _, err := holder.Exec(t.Context(),
		`SELECT pg_advisory_lock(hashtextextended('dingbridge.migrate:' || current_schema(), 0))`); err != nil {
		t.Fatal(err)
	}

	if err := open(t, dsnB).Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate of schema B while A is locked: %v", err)
	}
	a := open(t, dsnA)
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	if err := a.Migrate(ctx); err == nil {
		t.Fatal("Migrate of schema A succeeded while its lock was held")
	}
	status, err := a.MigrationStatus(t.Context())
	if err != nil {
		t.Fatalf("MigrationStatus: %v", err)
	}
	if status[0].Applied {
		t.Errorf("schema A: %s applied while its lock was held", status[0].Name)
	}
}
