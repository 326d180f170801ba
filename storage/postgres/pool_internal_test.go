package postgres

import (
	"os"
	"strings"
	"testing"
)

func TestPoolSize(t *testing.T) {
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	for _, tc := range []struct {
		name string
		url  string
		opt  int32
		want int32
	}{
		{"default", base, 0, DefaultMaxConns()},
		{"URL parameter", base + sep + "pool_max_conns=3", 0, 3},
		{"option", base + sep + "pool_max_conns=3", 7, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(t.Context(), tc.url, Options{MaxConns: tc.opt})
			if err != nil {
				if os.Getenv("CI") != "" {
					t.Fatal(err)
				}
				t.Skipf("PostgreSQL unreachable: %v", err)
			}
			defer s.Close()
			if got := s.pool.Config().MaxConns; got != tc.want {
				t.Errorf("MaxConns = %d, want %d", got, tc.want)
			}
		})
	}
	if DefaultMaxConns() < 16 {
		t.Errorf("DefaultMaxConns() = %d, want at least 16", DefaultMaxConns())
	}
}
