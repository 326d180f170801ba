package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

// DeleteExpired removes every row that expired before now, in one
// transaction. A refresh family is removed as a whole once its last token
// has expired, so reuse of a rotated token is detected until then. An auth
// request whose code outlives it is kept until the code expires too. The
// client links of sessions that no longer exist go with them (uncounted).
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) (storage.GCResult, error) {
	var r storage.GCResult
	t := now.UnixMicro()
	steps := []struct {
		count *int64
		query string
	}{
		{&r.AuthRequests, `DELETE FROM auth_requests
			WHERE expires_at < ?1 AND (code_expires_at IS NULL OR code_expires_at < ?1)`},
		{&r.AccessTokens, `DELETE FROM access_tokens WHERE expires_at < ?1`},
		{&r.RefreshTokens, `DELETE FROM refresh_tokens WHERE family_id IN (
			SELECT family_id FROM refresh_tokens GROUP BY family_id HAVING max(expires_at) < ?1)`},
		{&r.Sessions, `DELETE FROM sessions WHERE expires_at < ?1`},
		{&r.CacheEntries, `DELETE FROM cache WHERE expires_at < ?1`},
		{&r.SigningKeys, `DELETE FROM signing_keys WHERE retires_at IS NOT NULL AND retires_at < ?1`},
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, st := range steps {
			res, err := tx.ExecContext(ctx, st.query, t)
			if err != nil {
				return err
			}
			if *st.count, err = res.RowsAffected(); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM session_clients
			WHERE NOT EXISTS (SELECT 1 FROM sessions WHERE sessions.id = session_clients.session_id)`)
		return err
	})
	if err != nil {
		return storage.GCResult{}, fmt.Errorf("delete expired: %w", err)
	}
	return r, nil
}
