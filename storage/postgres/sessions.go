package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/dingbridge/dingbridge/storage"
)

// GetSession loads a session that has not expired at now.
func (s *Store) GetSession(ctx context.Context, id string, now time.Time) (storage.Session, error) {
	const q = `SELECT id, subject, auth_time, amr, corp_id, created_at, expires_at
		FROM sessions WHERE id = $1 AND expires_at > $2`
	rows, _ := s.pool.Query(ctx, q, id, now)
	sess, err := pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (storage.Session, error) {
		var (
			se                             storage.Session
			authTime, createdAt, expiresAt pgtype.Timestamptz
		)
		err := row.Scan(&se.ID, &se.Subject, &authTime, &se.AMR, &se.CorpID, &createdAt, &expiresAt)
		se.AuthTime, se.CreatedAt, se.ExpiresAt = utc(authTime), utc(createdAt), utc(expiresAt)
		return se, err
	})
	if err != nil {
		return storage.Session{}, dbErr("get session", err)
	}
	return sess, nil
}

// DeleteSession removes a session; ErrNotFound if absent.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE id = $1`, id)
	if err != nil {
		return dbErr("delete session", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("delete session")
	}
	return nil
}
