package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/dingbridge/dingbridge/storage"
)

// GetCache loads an entry that has not expired at now.
func (s *Store) GetCache(ctx context.Context, key string, now time.Time) (storage.CacheEntry, error) {
	const q = `SELECT key, value, expires_at FROM cache WHERE key = $1 AND expires_at > $2`
	var (
		e         storage.CacheEntry
		expiresAt pgtype.Timestamptz
	)
	if err := s.pool.QueryRow(ctx, q, key, now).Scan(&e.Key, &e.Value, &expiresAt); err != nil {
		return storage.CacheEntry{}, dbErr("get cache", err)
	}
	e.ExpiresAt = utc(expiresAt)
	return e, nil
}

// PutCache creates or replaces an entry.
func (s *Store) PutCache(ctx context.Context, e storage.CacheEntry) error {
	const q = `INSERT INTO cache (key, value, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`
	if _, err := s.pool.Exec(ctx, q, e.Key, e.Value, ts(e.ExpiresAt)); err != nil {
		return dbErr("put cache", err)
	}
	return nil
}

// DeleteCache removes an entry; no error if it is absent.
func (s *Store) DeleteCache(ctx context.Context, key string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM cache WHERE key = $1`, key); err != nil {
		return dbErr("delete cache", err)
	}
	return nil
}
