// Package postgres implements storage.Storage on PostgreSQL with the native
// API of jackc/pgx/v5.
//
// Every method runs hand-written SQL at the default READ COMMITTED
// isolation. Single use is enforced by the statements themselves: an
// authorization code is redeemed by UPDATE … WHERE code_expires_at > now
// (its expiry cleared) and a refresh token rotated by UPDATE … WHERE rotated_at IS NULL AND revoked_at IS NULL, so of
// concurrent callers exactly one sees the row. Writes that must be atomic
// are one statement (data-modifying CTEs) or one transaction.
//
// Durability: the writes of a login before its code is redeemed — the
// new authorization request (CreateAuthRequest) and the completed login
// (CompleteLogin, which also inserts the request when it was kept
// pending outside the database, LoginCompletion.Request) — commit with
// synchronous_commit off, which each turns off for its own transaction
// (asyncCommitCTE in the statement; SET LOCAL in the general path's
// transaction): they do not wait for their WAL to reach disk. Losing
// them in a database crash only fails logins in progress, and nothing
// that depends on them can outlive them: the code redemption that issues
// tokens commits synchronously, which flushes the WAL up to its own
// commit record and so everything committed before it. Every other
// write waits for its flush.
//
// Code redemptions that arrive while another redemption of the same
// statement form is running are committed together, in one statement
// and one flush, each row judged alone (redeembatch.go); a redemption
// that finds none running is sent at once.
//
// CompleteLogin of a returning person (known by corp and user id) or of a
// single sign-on is one statement and one round trip: data-modifying
// CTEs that mark the stored request done (UPDATE) or insert the pending
// one done (INSERT … ON CONFLICT (id) DO NOTHING), and only then record
// the login on the binding and user and write the session. Other logins,
// and any the statement does not match, take one transaction.
//
// The schema lives in package migrations (migrations/postgres) and is
// applied by Store.Migrate. Tables are created unqualified, so the schema
// is chosen by the connection's search_path (search_path=… in the URL).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dingbridge/dingbridge/storage"
)

// Options configures Open.
type Options struct {
	// Logger receives migration progress; nil discards it.
	Logger *slog.Logger
	// MaxConns caps the connection pool; 0 means the pool_max_conns URL
	// parameter, or else DefaultMaxConns.
	MaxConns int32
}

// DefaultMaxConns is the pool size when neither Options.MaxConns nor the
// URL sets one: 16, or twice the usable CPUs when that is more. pgxpool's
// own default (four on a small machine) makes concurrent logins queue for
// a connection, which costs latency and, in wake-ups, more CPU than the
// idle backends a larger pool keeps.
func DefaultMaxConns() int32 {
	return int32(max(16, 2*runtime.GOMAXPROCS(0)))
}

// Store is a storage.Storage backed by a PostgreSQL connection pool. It is
// safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	log  *slog.Logger
	// redemptions coalesces concurrent code redemptions (redeembatch.go).
	redemptions *redemptionQueues
}

var _ storage.Storage = (*Store)(nil)

// Open connects to the database at url (a postgres:// URL or a key=value
// DSN), checks that it answers, and returns a Store. It does not migrate;
// call Migrate.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The parse error may quote the URL, password included.
		return nil, errors.New("postgres: parse database url: invalid url or parameter")
	}
	switch {
	case opts.MaxConns > 0:
		cfg.MaxConns = opts.MaxConns
	case !strings.Contains(url, "pool_max_conns"):
		cfg.MaxConns = DefaultMaxConns()
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{pool: pool, log: log, redemptions: newRedemptionQueues()}, nil
}

// Ping reports whether the database is reachable.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Close closes every connection of the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// dbErr turns driver errors into the storage sentinels: no rows and a
// foreign-key violation (a missing parent row) into ErrNotFound, a unique
// violation into ErrAlreadyExists. Other errors are wrapped as they are.
func dbErr(op string, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: %s: %w", op, storage.ErrNotFound)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505": // unique_violation
			return fmt.Errorf("postgres: %s: %w (%s)", op, storage.ErrAlreadyExists, pgErr.ConstraintName)
		case "23503": // foreign_key_violation
			return fmt.Errorf("postgres: %s: %w (%s)", op, storage.ErrNotFound, pgErr.ConstraintName)
		}
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// notFound is the error of a statement that matched no row.
func notFound(op string) error {
	return fmt.Errorf("postgres: %s: %w", op, storage.ErrNotFound)
}

// ts encodes a time for a nullable timestamptz column: the zero time is
// NULL.
func ts(t time.Time) pgtype.Timestamptz {
	if t.IsZero() {
		return pgtype.Timestamptz{}
	}
	return pgtype.Timestamptz{Time: t, Valid: true}
}

// utc decodes a nullable timestamptz column: NULL is the zero time, any
// other value is returned in UTC.
func utc(t pgtype.Timestamptz) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// utcPtr decodes a nullable timestamptz column into an optional time.
func utcPtr(t pgtype.Timestamptz) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

// tsPtr encodes an optional time; nil and the zero time are NULL.
func tsPtr(t *time.Time) pgtype.Timestamptz {
	if t == nil {
		return pgtype.Timestamptz{}
	}
	return ts(*t)
}
