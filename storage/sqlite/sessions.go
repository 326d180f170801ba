package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

// GetSession loads a session that has not expired at now.
func (s *Store) GetSession(ctx context.Context, id string, now time.Time) (storage.Session, error) {
	sess, err := getSession(ctx, s.db, id, now)
	if err != nil {
		return storage.Session{}, fmt.Errorf("get session: %w", err)
	}
	return sess, nil
}

func getSession(ctx context.Context, q querier, id string, now time.Time) (storage.Session, error) {
	var sess storage.Session
	err := q.QueryRowContext(ctx, `SELECT id, subject, auth_time, amr, corp_id, created_at, expires_at
		FROM sessions WHERE id = ? AND expires_at > ?`, id, now.UnixMicro()).
		Scan(&sess.ID, &sess.Subject, timeDest{&sess.AuthTime}, jsonDest{&sess.AMR}, &sess.CorpID,
			timeDest{&sess.CreatedAt}, timeDest{&sess.ExpiresAt})
	return sess, mapErr(err)
}

// DeleteSession removes a session and its client links; ErrNotFound if
// the session is absent.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM session_clients WHERE session_id = ?`, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id)
		if err != nil {
			return err
		}
		return notFoundIfNone(res)
	})
	if err != nil {
		return fmt.Errorf("delete session: %w", mapErr(err))
	}
	return nil
}

// ListSessionClients returns the clients issued tokens in a session,
// ordered by client ID.
func (s *Store) ListSessionClients(ctx context.Context, sessionID string) ([]storage.SessionClient, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT session_id, client_id, subject, created_at
		FROM session_clients WHERE session_id = ? ORDER BY client_id`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("list session clients: %w", mapErr(err))
	}
	defer rows.Close()
	var out []storage.SessionClient
	for rows.Next() {
		var sc storage.SessionClient
		if err := rows.Scan(&sc.SessionID, &sc.ClientID, &sc.Subject, timeDest{&sc.CreatedAt}); err != nil {
			return nil, fmt.Errorf("list session clients: %w", err)
		}
		out = append(out, sc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list session clients: %w", err)
	}
	return out, nil
}
