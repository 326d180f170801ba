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

// DeleteSession removes a session and its client links in one statement;
// ErrNotFound if the session is absent.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	const q = `WITH links AS (
		DELETE FROM session_clients WHERE session_id = $1
	)
	DELETE FROM sessions WHERE id = $1`
	tag, err := s.pool.Exec(ctx, q, id)
	if err != nil {
		return dbErr("delete session", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("delete session")
	}
	return nil
}

// ListSessionClients returns the clients issued tokens in a session,
// ordered by client ID.
func (s *Store) ListSessionClients(ctx context.Context, sessionID string) ([]storage.SessionClient, error) {
	const q = `SELECT session_id, client_id, subject, created_at
		FROM session_clients WHERE session_id = $1 ORDER BY client_id`
	rows, _ := s.pool.Query(ctx, q, sessionID)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (storage.SessionClient, error) {
		var (
			sc        storage.SessionClient
			createdAt pgtype.Timestamptz
		)
		err := row.Scan(&sc.SessionID, &sc.ClientID, &sc.Subject, &createdAt)
		sc.CreatedAt = utc(createdAt)
		return sc, err
	})
	if err != nil {
		return nil, dbErr("list session clients", err)
	}
	return out, nil
}
