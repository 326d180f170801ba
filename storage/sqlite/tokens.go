package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

// insertTokens stores the access token and the optional refresh token of
// one issue, and links the access token's session to its client.
func insertTokens(ctx context.Context, tx *sql.Tx, issue storage.TokenIssue) error {
	a := issue.Access
	var e encoder
	args := []any{
		a.ID, a.ClientID, a.Subject, e.json(a.Audience), e.json(a.Scopes), a.SessionID, a.FamilyID,
		micros(a.AuthTime), e.json(a.AMR), micros(a.CreatedAt), micros(a.ExpiresAt),
	}
	if e.err != nil {
		return e.err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO access_tokens (id, client_id, subject, audience, scopes,
			session_id, family_id, auth_time, amr, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	if err != nil {
		return fmt.Errorf("insert access token: %w", mapErr(err))
	}
	if issue.LinkSession && a.SessionID != "" {
		_, err = tx.ExecContext(ctx, `INSERT INTO session_clients (session_id, client_id, subject, created_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (session_id, client_id) DO NOTHING`,
			a.SessionID, a.ClientID, a.Subject, micros(a.CreatedAt))
		if err != nil {
			return fmt.Errorf("link session client: %w", mapErr(err))
		}
	}
	r := issue.Refresh
	if r == nil {
		return nil
	}
	args = []any{
		r.ID, blob(r.TokenHash), r.FamilyID, r.ClientID, r.Subject, e.json(r.Audience), e.json(r.Scopes),
		r.SessionID, micros(r.AuthTime), e.json(r.AMR), micros(r.CreatedAt), micros(r.ExpiresAt),
		microsPtr(r.RotatedAt), microsPtr(r.RevokedAt),
	}
	if e.err != nil {
		return e.err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO refresh_tokens (id, token_hash, family_id, client_id,
			subject, audience, scopes, session_id, auth_time, amr, created_at, expires_at, rotated_at, revoked_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	if err != nil {
		return fmt.Errorf("insert refresh token: %w", mapErr(err))
	}
	return nil
}

// CreateTokens stores tokens issued without an authorization code.
func (s *Store) CreateTokens(ctx context.Context, issue storage.TokenIssue) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error { return insertTokens(ctx, tx, issue) })
	if err != nil {
		return fmt.Errorf("create tokens for client %q: %w", issue.Access.ClientID, err)
	}
	return nil
}

// GetAccessToken loads an unexpired access token by ID.
func (s *Store) GetAccessToken(ctx context.Context, id string, now time.Time) (storage.AccessToken, error) {
	a, err := getAccessToken(ctx, s.db, id, now)
	if err != nil {
		return storage.AccessToken{}, fmt.Errorf("get access token: %w", err)
	}
	return a, nil
}

func getAccessToken(ctx context.Context, q querier, id string, now time.Time) (storage.AccessToken, error) {
	var a storage.AccessToken
	err := q.QueryRowContext(ctx, `SELECT id, client_id, subject, audience, scopes, session_id,
			family_id, auth_time, amr, created_at, expires_at
		FROM access_tokens WHERE id = ? AND expires_at > ?`, id, now.UnixMicro()).Scan(
		&a.ID, &a.ClientID, &a.Subject, jsonDest{&a.Audience}, jsonDest{&a.Scopes}, &a.SessionID,
		&a.FamilyID, timeDest{&a.AuthTime}, jsonDest{&a.AMR}, timeDest{&a.CreatedAt}, timeDest{&a.ExpiresAt})
	return a, mapErr(err)
}

// GetAccessTokenUser loads an unexpired access token, its user, the
// user's bindings and its session's corp. The database is in process, so
// the reads are separate statements; one read transaction makes them a
// consistent snapshot.
func (s *Store) GetAccessTokenUser(ctx context.Context, id string, now time.Time) (storage.AccessTokenUser, error) {
	var out storage.AccessTokenUser
	err := s.inReadTx(ctx, func(tx *sql.Tx) error {
		var err error
		if out.Token, err = getAccessToken(ctx, tx, id, now); err != nil {
			return err
		}
		if out.User, err = getUser(ctx, tx, out.Token.Subject); err != nil {
			return err
		}
		if out.Bindings, err = listBindings(ctx, tx, out.Token.Subject); err != nil {
			return err
		}
		if len(out.Bindings) > 0 {
			out.User.Profile = storage.Profile{} // as the contract says
		}
		if out.Token.SessionID == "" {
			return nil
		}
		sess, err := getSession(ctx, tx, out.Token.SessionID, now)
		switch {
		case err == nil:
			out.SessionFound, out.SessionCorpID = true, sess.CorpID
		case !isNotFound(err):
			return err
		}
		return nil
	})
	if err != nil {
		return storage.AccessTokenUser{}, fmt.Errorf("get access token user: %w", err)
	}
	return out, nil
}

// RevokeAccessToken deletes one access token; ErrNotFound if absent.
func (s *Store) RevokeAccessToken(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM access_tokens WHERE id = ?`, id)
	if err == nil {
		err = notFoundIfNone(res)
	}
	if err != nil {
		return fmt.Errorf("revoke access token: %w", mapErr(err))
	}
	return nil
}

const refreshColumns = `id, token_hash, family_id, client_id, subject, audience, scopes,
	session_id, auth_time, amr, created_at, expires_at, rotated_at, revoked_at`

func scanRefresh(row interface{ Scan(...any) error }) (storage.RefreshToken, error) {
	var r storage.RefreshToken
	err := row.Scan(&r.ID, &r.TokenHash, &r.FamilyID, &r.ClientID, &r.Subject, jsonDest{&r.Audience},
		jsonDest{&r.Scopes}, &r.SessionID, timeDest{&r.AuthTime}, jsonDest{&r.AMR}, timeDest{&r.CreatedAt},
		timeDest{&r.ExpiresAt}, timePtrDest{&r.RotatedAt}, timePtrDest{&r.RevokedAt})
	return r, err
}

// GetRefreshToken loads a refresh token by digest if it is unexpired, not
// rotated and its family is not revoked. Presenting a rotated token
// revokes its family and yields ErrTokenReused.
func (s *Store) GetRefreshToken(ctx context.Context, tokenHash []byte, now time.Time) (storage.RefreshToken, error) {
	r, err := scanRefresh(s.db.QueryRowContext(ctx, `SELECT `+refreshColumns+`
		FROM refresh_tokens WHERE token_hash = ?`, blob(tokenHash)))
	switch {
	case err != nil:
	case r.RotatedAt != nil:
		// Reuse: the family is revoked in a write transaction.
		err = s.inTx(ctx, func(tx *sql.Tx) error { return checkRefresh(ctx, tx, r, now) })
	default:
		err = checkRefresh(ctx, nil, r, now)
	}
	if err != nil {
		return storage.RefreshToken{}, fmt.Errorf("get refresh token: %w", mapErr(err))
	}
	return r, nil
}

// checkRefresh decides whether r may be used at now. A rotated token
// revokes its family through tx and yields a commitThen wrapping
// ErrTokenReused; tx is only used for a rotated token.
func checkRefresh(ctx context.Context, tx *sql.Tx, r storage.RefreshToken, now time.Time) error {
	switch {
	case r.RotatedAt != nil:
		if err := revokeFamilies(ctx, tx, `family_id = ?`, r.FamilyID, now); err != nil {
			return err
		}
		return commitThen{storage.ErrTokenReused}
	case r.RevokedAt != nil, !r.ExpiresAt.After(now):
		return storage.ErrNotFound
	}
	return nil
}

// revokeFamilies revokes the refresh tokens of every family matching where
// (a condition on refresh_tokens with one parameter) and deletes the access
// tokens issued from those families.
func revokeFamilies(ctx context.Context, tx *sql.Tx, where string, arg any, now time.Time) error {
	families := `SELECT family_id FROM refresh_tokens WHERE ` + where
	if _, err := tx.ExecContext(ctx, `DELETE FROM access_tokens
		WHERE family_id <> '' AND family_id IN (`+families+`)`, arg); err != nil {
		return fmt.Errorf("delete access tokens of revoked family: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = ?
		WHERE revoked_at IS NULL AND family_id IN (`+families+`)`, now.UnixMicro(), arg); err != nil {
		return fmt.Errorf("revoke refresh family: %w", err)
	}
	return nil
}

// RotateRefreshToken marks the token with oldHash rotated and stores issue,
// in one transaction. The conditional UPDATE … RETURNING is the single-use
// gate: of concurrent callers only the first matches the row.
func (s *Store) RotateRefreshToken(ctx context.Context, oldHash []byte, now time.Time, issue storage.TokenIssue) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var familyID string
		err := tx.QueryRowContext(ctx, `UPDATE refresh_tokens SET rotated_at = ?1
			WHERE token_hash = ?2 AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > ?1
			RETURNING family_id`, now.UnixMicro(), blob(oldHash)).Scan(&familyID)
		if errors.Is(err, sql.ErrNoRows) {
			old, err := scanRefresh(tx.QueryRowContext(ctx, `SELECT `+refreshColumns+`
				FROM refresh_tokens WHERE token_hash = ?`, blob(oldHash)))
			if err != nil {
				return mapErr(err)
			}
			if err := checkRefresh(ctx, tx, old, now); err != nil {
				return err
			}
			return storage.ErrNotFound
		}
		if err != nil {
			return err
		}
		if issue.Refresh != nil && issue.Refresh.FamilyID != familyID {
			return fmt.Errorf("successor belongs to another refresh family")
		}
		return insertTokens(ctx, tx, issue)
	})
	if err != nil {
		return fmt.Errorf("rotate refresh token: %w", err)
	}
	return nil
}

// RevokeRefreshFamily revokes every refresh token of a family and deletes
// the access tokens issued from it.
func (s *Store) RevokeRefreshFamily(ctx context.Context, familyID string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM access_tokens WHERE family_id = ? AND family_id <> ''`, familyID); err != nil {
			return fmt.Errorf("delete access tokens: %w", err)
		}
		return revokeFamilies(ctx, tx, `family_id = ?`, familyID, time.Now())
	})
	if err != nil {
		return fmt.Errorf("revoke refresh family: %w", err)
	}
	return nil
}

// RevokeSessionTokens revokes every refresh family and deletes every
// access token bound to a browser session.
func (s *Store) RevokeSessionTokens(ctx context.Context, sessionID string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := revokeFamilies(ctx, tx, `session_id = ? AND session_id <> ''`, sessionID, time.Now()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM access_tokens WHERE session_id = ? AND session_id <> ''`, sessionID); err != nil {
			return fmt.Errorf("delete access tokens: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("revoke session tokens: %w", err)
	}
	return nil
}
