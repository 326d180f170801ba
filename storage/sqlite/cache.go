package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

// GetCache loads an entry that has not expired at now.
func (s *Store) GetCache(ctx context.Context, key string, now time.Time) (storage.CacheEntry, error) {
	var e storage.CacheEntry
	err := s.db.QueryRowContext(ctx, `SELECT key, value, expires_at FROM cache WHERE key = ? AND expires_at > ?`,
		key, now.UnixMicro()).Scan(&e.Key, &e.Value, timeDest{&e.ExpiresAt})
	if err != nil {
		return storage.CacheEntry{}, fmt.Errorf("get cache entry %q: %w", key, mapErr(err))
	}
	return e, nil
}

// PutCache creates or replaces an entry.
func (s *Store) PutCache(ctx context.Context, e storage.CacheEntry) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO cache (key, value, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
		e.Key, blob(e.Value), micros(e.ExpiresAt))
	if err != nil {
		return fmt.Errorf("put cache entry %q: %w", e.Key, mapErr(err))
	}
	return nil
}

// DeleteCache removes an entry; no error if it is absent.
func (s *Store) DeleteCache(ctx context.Context, key string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM cache WHERE key = ?`, key); err != nil {
		return fmt.Errorf("delete cache entry %q: %w", key, err)
	}
	return nil
}
