package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dingbridge/dingbridge/storage"
	"github.com/dingbridge/dingbridge/storage/postgres"
	"github.com/dingbridge/dingbridge/storage/postgres/postgrestest"
	"github.com/dingbridge/dingbridge/storage/storagetest"
)

// backendCPU is the CPU time (user + system) a PostgreSQL backend on this
// machine has used so far, from /proc/<pid>/stat (USER_HZ = 100).
func backendCPU(b *testing.B, pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Skipf("PostgreSQL backend not on this machine: %v", err)
	}
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// singleConnStore opens a migrated store on a fresh schema whose pool has
// exactly one connection, and returns it with that connection's backend
// pid (found by a unique application_name).
func singleConnStore(b *testing.B) (storage.Storage, int) {
	u, err := url.Parse(postgrestest.URL(b))
	if err != nil {
		b.Fatal(err)
	}
	app := fmt.Sprintf("dbbench%d", time.Now().UnixNano())
	q := u.Query()
	q.Set("pool_max_conns", "1")
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := postgres.Open(ctx, u.String(), postgres.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, postgrestest.URL(b))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	var pid int
	if err := conn.QueryRow(ctx, `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&pid); err != nil {
		b.Fatalf("find the store's backend: %v", err)
	}
	return s, pid
}

// BenchmarkStorage measures each storage operation of the login path on
// PostgreSQL; cpu-µs/op includes the backend's CPU.
func BenchmarkStorage(b *testing.B) {
	var pid int
	storagetest.Bench(b, func(b *testing.B) storage.Storage {
		s, p := singleConnStore(b)
		pid = p
		return s
	}, func() time.Duration { return backendCPU(b, pid) })
}

// BenchmarkSingleRowWrite is the ceiling's unit: one autocommitted
// single-row INSERT over a direct connection. backend-cpu-µs/op is the
// PostgreSQL backend's CPU per statement (from /proc).
func BenchmarkSingleRowWrite(b *testing.B) {
	ctx := b.Context()
	conn, err := pgx.Connect(ctx, postgrestest.URL(b))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `CREATE TABLE bench_rows (id text PRIMARY KEY, v bytea NOT NULL, at timestamptz NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	var pid int
	if err := conn.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		b.Fatal(err)
	}
	v := make([]byte, 64)
	c0 := backendCPU(b, pid)
	b.ResetTimer()
	for i := range b.N {
		if _, err := conn.Exec(ctx, `INSERT INTO bench_rows (id, v, at) VALUES ($1, $2, $3)`, strconv.Itoa(i), v, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(backendCPU(b, pid)-c0)/float64(time.Microsecond)/float64(b.N), "backend-cpu-µs/op")
}
