package postgres

import (
	"context"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

// DeleteExpired removes, in one statement, every row that expired before
// now: auth requests, access tokens, sessions and cache entries past their
// expiry (a missing expiry counts as expired), refresh families whose last
// token has expired, and signing keys past RetiresAt. The client links of
// sessions removed now or before go with them (uncounted).
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) (storage.GCResult, error) {
	const q = `WITH
	ar AS (DELETE FROM auth_requests WHERE expires_at < $1 OR expires_at IS NULL RETURNING 1),
	at AS (DELETE FROM access_tokens WHERE expires_at < $1 OR expires_at IS NULL RETURNING 1),
	rt AS (
		DELETE FROM refresh_tokens WHERE family_id IN (
			SELECT e.family_id FROM refresh_tokens e
			WHERE (e.expires_at < $1 OR e.expires_at IS NULL)
				AND NOT EXISTS (SELECT 1 FROM refresh_tokens l
					WHERE l.family_id = e.family_id AND l.expires_at >= $1))
		RETURNING 1),
	se AS (DELETE FROM sessions WHERE expires_at < $1 OR expires_at IS NULL RETURNING id),
	sc AS (DELETE FROM session_clients l
		WHERE l.session_id IN (SELECT id FROM se)
			OR NOT EXISTS (SELECT 1 FROM sessions x WHERE x.id = l.session_id)),
	ca AS (DELETE FROM cache WHERE expires_at < $1 OR expires_at IS NULL RETURNING 1),
	sk AS (DELETE FROM signing_keys WHERE retires_at < $1 RETURNING 1)
	SELECT (SELECT count(*) FROM ar), (SELECT count(*) FROM at), (SELECT count(*) FROM rt),
		(SELECT count(*) FROM se), (SELECT count(*) FROM ca), (SELECT count(*) FROM sk)`
	var r storage.GCResult
	err := s.pool.QueryRow(ctx, q, now).Scan(&r.AuthRequests, &r.AccessTokens, &r.RefreshTokens,
		&r.Sessions, &r.CacheEntries, &r.SigningKeys)
	if err != nil {
		return storage.GCResult{}, dbErr("delete expired", err)
	}
	return r, nil
}
