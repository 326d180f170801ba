// Package sqlite implements storage.Storage on SQLite through
// modernc.org/sqlite (pure Go, no cgo).
//
// The database runs in WAL mode with foreign keys on and a busy timeout;
// write transactions begin IMMEDIATE, so concurrent writers queue on the
// database lock instead of failing when a read lock would have to be
// upgraded. Times are stored as INTEGER unix microseconds in UTC (NULL for
// the zero time), lists, maps and JSON documents as TEXT, digests as BLOB.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/dingbridge/dingbridge/storage"
)

// Options configures Open.
type Options struct {
	// Logger receives migration progress; nil discards it.
	Logger *slog.Logger
}

// Store is a storage.Storage backed by one SQLite database file. It is safe
// for concurrent use.
type Store struct {
	db   *sql.DB
	log  *slog.Logger
	path string
}

var _ storage.Storage = (*Store)(nil)

// maxConns bounds the connection pool; writers serialise on the database
// lock anyway, and a small pool keeps file handles and page caches few.
const maxConns = 8

// Open opens (creating if needed) the SQLite database at path and checks
// that it is reachable. It does not migrate; call Migrate.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open database: %w", err)
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open database: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{db: db, log: log, path: path}, nil
}

// Path returns the database file path the store was opened with.
func (s *Store) Path() string { return s.path }

// dsn builds the modernc.org/sqlite URI for path. Every connection of the
// pool runs the pragmas when it opens.
func dsn(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Ping reports whether the database is reachable.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error {
	return s.db.Close()
}

// commitThen wraps an error that is returned only after the transaction
// that produced it has been committed (revoking a family before reporting
// ErrTokenReused).
type commitThen struct{ err error }

func (c commitThen) Error() string { return c.err.Error() }
func (c commitThen) Unwrap() error { return c.err }

// inTx runs fn in one IMMEDIATE transaction, committing when fn returns nil
// or a commitThen, and rolling back otherwise.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	err = fn(tx)
	var keep commitThen
	if err != nil && !errors.As(err, &keep) {
		tx.Rollback()
		return err
	}
	if cerr := tx.Commit(); cerr != nil {
		return fmt.Errorf("commit: %w", mapErr(cerr))
	}
	if err != nil {
		return keep.err
	}
	return nil
}

// inReadTx runs fn in one deferred, read-only transaction (the
// connection's IMMEDIATE begin mode applies to writes only), so that its
// reads see one snapshot without taking the write lock.
func (s *Store) inReadTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// mapErr turns SQLite constraint errors and sql.ErrNoRows into the storage
// errors; anything else is returned unchanged.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return storage.ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return storage.ErrAlreadyExists
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			// A referenced row (the client) does not exist.
			return storage.ErrNotFound
		}
		if se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT && strings.Contains(se.Error(), "UNIQUE constraint failed") {
			return storage.ErrAlreadyExists
		}
	}
	return err
}

// micros encodes t for an INTEGER time column: unix microseconds, NULL for
// the zero time.
func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// microsPtr encodes an optional time.
func microsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return micros(*t)
}

// timeDest scans an INTEGER time column into a UTC time.Time (the zero time
// for NULL).
type timeDest struct{ t *time.Time }

func (d timeDest) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*d.t = time.Time{}
	case int64:
		*d.t = time.UnixMicro(v).UTC()
	default:
		return fmt.Errorf("scan time: unexpected %T", v)
	}
	return nil
}

// timePtrDest scans an INTEGER time column into a *time.Time (nil for NULL).
type timePtrDest struct{ t **time.Time }

func (d timePtrDest) Scan(v any) error {
	if v == nil {
		*d.t = nil
		return nil
	}
	var t time.Time
	if err := (timeDest{&t}).Scan(v); err != nil {
		return err
	}
	*d.t = &t
	return nil
}

// encoder encodes JSON TEXT column values and keeps the first error, so a
// statement's arguments can be built in one expression.
type encoder struct{ err error }

// json returns v as JSON text.
func (e *encoder) json(v any) string {
	b, err := json.Marshal(v)
	if err != nil && e.err == nil {
		e.err = fmt.Errorf("encode json: %w", err)
	}
	return string(b)
}

// jsonDest scans a JSON TEXT column into the value p points to.
type jsonDest struct{ p any }

func (d jsonDest) Scan(v any) error {
	var b []byte
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("scan json: unexpected %T", v)
	}
	if err := json.Unmarshal(b, d.p); err != nil {
		return fmt.Errorf("scan json: %w", err)
	}
	return nil
}

// blob returns b as a non-NULL BLOB value.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// notFoundIfNone reports ErrNotFound when res affected no row.
func notFoundIfNone(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return storage.ErrNotFound
	}
	return nil
}
