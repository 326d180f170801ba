package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/dingbridge/dingbridge/storage"
	"github.com/dingbridge/dingbridge/storage/sqlite"
	"github.com/dingbridge/dingbridge/storage/storagetest"
)

// BenchmarkStorage measures each storage operation of the login path on
// SQLite; cpu-µs/op is the process's CPU (the database runs in it).
func BenchmarkStorage(b *testing.B) {
	storagetest.Bench(b, func(b *testing.B) storage.Storage {
		s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		if err := s.Migrate(b.Context()); err != nil {
			b.Fatal(err)
		}
		return s
	}, nil)
}
