// Package postgrestest gives tests a fresh PostgreSQL schema of their own.
//
// The server is the one named by the environment variable TEST_DATABASE_URL
// (default postgres://postgres@127.0.0.1:5432/test?sslmode=disable). Each
// call to URL creates a schema t_<random hex> and drops it, with everything
// in it, when the test ends. Where the server cannot be reached the test is
// skipped, unless the environment variable CI is set, where it fails.
//
// Only tests import this package.
package postgrestest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dingbridge/dingbridge/storage/postgres"
)

// DefaultURL is the server tests use when TEST_DATABASE_URL is not set.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// URL returns the DSN of a fresh, empty schema on the test server, with
// search_path=<schema> in its query so every connection made from it works
// in that schema. The schema is dropped (CASCADE) at t.Cleanup.
func URL(t testing.TB) string {
	t.Helper()
	base := baseURL()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		unreachable(t, err)
	}
	defer conn.Close(context.Background())

	schema := "t_" + randomHex(8)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("postgrestest: create schema: %v", err)
	}
	t.Cleanup(func() { dropSchema(t, base, schema) })

	dsn, err := withSearchPath(base, schema)
	if err != nil {
		t.Fatalf("postgrestest: %v", err)
	}
	return dsn
}

// New opens a Store on a fresh schema (URL) and migrates it. The store is
// closed, then the schema dropped, when the test ends.
func New(t testing.TB) *postgres.Store {
	t.Helper()
	dsn := URL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatalf("postgrestest: open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("postgrestest: migrate: %v", err)
	}
	return s
}

// baseURL is the test server's DSN.
func baseURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// unreachable skips the test, or fails it when CI is set.
func unreachable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("postgrestest: PostgreSQL unreachable (set TEST_DATABASE_URL): %v", err)
	}
	t.Skipf("postgrestest: PostgreSQL unreachable, skipping (set TEST_DATABASE_URL): %v", err)
}

func dropSchema(t testing.TB, base, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Errorf("postgrestest: drop schema %s: %v", schema, err)
		return
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
		t.Errorf("postgrestest: drop schema %s: %v", schema, err)
	}
}

// withSearchPath adds search_path=schema to a postgres:// URL's query or to
// a key=value DSN.
func withSearchPath(dsn, schema string) (string, error) {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema, nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", errors.New("TEST_DATABASE_URL is not a valid URL")
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
