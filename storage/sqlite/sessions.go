package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

// GetSession loads a session that has not expired at now.
func (s *Store) GetSession(ctx context.Context, id string, now time.Time) (storage.Session, error) {
	var sess storage.Session
	err := s.db.QueryRowContext(ctx, `SELECT id, subject, auth_time, amr, corp_id, created_at, expires_at
		FROM sessions WHERE id = ? AND expires_at > ?`, id, now.UnixMicro()).
		Scan(&sess.ID, &sess.Subject, timeDest{&sess.AuthTime}, jsonDest{&sess.AMR}, &sess.CorpID,
			timeDest{&sess.CreatedAt}, timeDest{&sess.ExpiresAt})
	if err != nil {
		return storage.Session{}, fmt.Errorf("get session: %w", mapErr(err))
	}
	return sess, nil
}

// DeleteSession removes a session; ErrNotFound if absent.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id)
	if err == nil {
		err = notFoundIfNone(res)
	}
	if err != nil {
		return fmt.Errorf("delete session: %w", mapErr(err))
	}
	return nil
}
