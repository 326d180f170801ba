package postgrestest

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestURLGivesEachTestItsOwnSchema(t *testing.T) {
	var schema string
	t.Run("inner", func(t *testing.T) {
		a, b := URL(t), URL(t)
		if a == b {
			t.Fatalf("URL returned %q twice", a)
		}
		ctx := t.Context()
		connA, err := pgx.Connect(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		defer connA.Close(context.Background())
		if err := connA.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(schema, "t_") {
			t.Fatalf("current_schema() = %q, want t_<hex>", schema)
		}
		if _, err := connA.Exec(ctx, `CREATE TABLE only_in_a (id int)`); err != nil {
			t.Fatal(err)
		}
		connB, err := pgx.Connect(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		defer connB.Close(context.Background())
		var found *string
		if err := connB.QueryRow(ctx, `SELECT to_regclass('only_in_a')::text`).Scan(&found); err != nil {
			t.Fatal(err)
		}
		if found != nil {
			t.Errorf("table of schema A visible from schema B as %s", *found)
		}
	})

	if schema == "" {
		t.Skip("no schema was created")
	}
	// The inner test's cleanup dropped its schemas.
	conn, err := pgx.Connect(t.Context(), baseURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_namespace WHERE nspname = $1`, schema).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("schema %s still exists after cleanup", schema)
	}
}

func TestWithSearchPath(t *testing.T) {
	got, err := withSearchPath("postgres://u@h:5432/db?sslmode=disable", "t_ab")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	if q := u.Query(); q.Get("search_path") != "t_ab" || q.Get("sslmode") != "disable" {
		t.Errorf("withSearchPath(url) = %q, want sslmode kept and search_path=t_ab", got)
	}
	got, err = withSearchPath("host=h dbname=db", "t_ab")
	if err != nil || got != "host=h dbname=db search_path=t_ab" {
		t.Errorf("withSearchPath(key=value) = %q, %v", got, err)
	}
}
