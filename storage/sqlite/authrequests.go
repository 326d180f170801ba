package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

const authRequestColumns = `id, client_id, redirect_uri, scopes, response_type, response_mode,
	state, nonce, code_challenge, code_challenge_method, prompt, max_age, login_hint,
	id_token_hint_subject, ui_locales, acr_values, params, created_at, expires_at,
	done, subject, session_id, auth_time, amr, code_hash, code_expires_at`

func scanAuthRequest(row interface{ Scan(...any) error }) (storage.AuthRequest, error) {
	var r storage.AuthRequest
	var maxAge sql.NullInt64
	err := row.Scan(
		&r.ID, &r.ClientID, &r.RedirectURI, jsonDest{&r.Scopes}, &r.ResponseType, &r.ResponseMode,
		&r.State, &r.Nonce, &r.CodeChallenge, &r.CodeChallengeMethod, jsonDest{&r.Prompt}, &maxAge, &r.LoginHint,
		&r.IDTokenHintSubject, jsonDest{&r.UILocales}, jsonDest{&r.ACRValues}, jsonDest{&r.Params},
		timeDest{&r.CreatedAt}, timeDest{&r.ExpiresAt},
		&r.Done, &r.Subject, &r.SessionID, timeDest{&r.AuthTime}, jsonDest{&r.AMR}, &r.CodeHash, timeDest{&r.CodeExpiresAt},
	)
	if maxAge.Valid {
		r.MaxAge = &maxAge.Int64
	}
	return r, err
}

// authRequestArgs returns the values of every column of r, in the order
// of authRequestColumns. A nil CodeHash is NULL (the column is UNIQUE).
func authRequestArgs(r storage.AuthRequest) ([]any, error) {
	var e encoder
	var codeHash any
	if r.CodeHash != nil {
		codeHash = r.CodeHash
	}
	args := []any{
		r.ID, r.ClientID, r.RedirectURI, e.json(r.Scopes), r.ResponseType, r.ResponseMode,
		r.State, r.Nonce, r.CodeChallenge, r.CodeChallengeMethod, e.json(r.Prompt), r.MaxAge, r.LoginHint,
		r.IDTokenHintSubject, e.json(r.UILocales), e.json(r.ACRValues), e.json(r.Params),
		micros(r.CreatedAt), micros(r.ExpiresAt),
		r.Done, r.Subject, r.SessionID, micros(r.AuthTime), e.json(r.AMR), codeHash, micros(r.CodeExpiresAt),
	}
	return args, e.err
}

// insertAuthRequestSQL inserts a request from authRequestArgs.
const insertAuthRequestSQL = `INSERT INTO auth_requests (` + authRequestColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// CreateAuthRequest stores a new authorization request; ErrNotFound if
// its client does not exist, ErrAlreadyExists if the ID is taken.
// Completion and code fields of r are stored as given.
func (s *Store) CreateAuthRequest(ctx context.Context, r storage.AuthRequest) error {
	args, err := authRequestArgs(r)
	if err != nil {
		return fmt.Errorf("create auth request: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, insertAuthRequestSQL, args...); err != nil {
		return fmt.Errorf("create auth request for client %q: %w", r.ClientID, mapErr(err))
	}
	return nil
}

// GetAuthRequest loads a request that has not expired by the wall clock.
func (s *Store) GetAuthRequest(ctx context.Context, id string) (storage.AuthRequest, error) {
	r, err := scanAuthRequest(s.db.QueryRowContext(ctx, `SELECT `+authRequestColumns+`
		FROM auth_requests WHERE id = ? AND expires_at > ?`, id, time.Now().UnixMicro()))
	if err != nil {
		return storage.AuthRequest{}, fmt.Errorf("get auth request: %w", mapErr(err))
	}
	return r, nil
}

// SaveAuthCode attaches the digest of an issued authorization code to a
// completed request that has not expired by the wall clock.
func (s *Store) SaveAuthCode(ctx context.Context, authRequestID string, codeHash []byte, expiresAt time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE auth_requests SET code_hash = ?, code_expires_at = ?
		WHERE id = ? AND done = 1 AND expires_at > ?`,
		blob(codeHash), micros(expiresAt), authRequestID, time.Now().UnixMicro())
	if err == nil {
		err = notFoundIfNone(res)
	}
	if err != nil {
		return fmt.Errorf("save auth code: %w", mapErr(err))
	}
	return nil
}

// GetAuthRequestByCode loads the completed request holding the code digest
// if the code has not expired at now. It does not consume the code.
func (s *Store) GetAuthRequestByCode(ctx context.Context, codeHash []byte, now time.Time) (storage.AuthRequest, error) {
	r, err := scanAuthRequest(s.db.QueryRowContext(ctx, `SELECT `+authRequestColumns+`
		FROM auth_requests WHERE code_hash = ? AND done = 1 AND code_expires_at > ?`,
		blob(codeHash), now.UnixMicro()))
	if err != nil {
		return storage.AuthRequest{}, fmt.Errorf("get auth request by code: %w", mapErr(err))
	}
	return r, nil
}

// RedeemAuthCode spends the code of the request holding the code digest
// (its expiry cleared; the request stays, done, until it expires) and
// stores the tokens issued for it, in one transaction. The UPDATE …
// RETURNING is the single-use gate: of concurrent callers only the first
// finds the row with its code unspent.
func (s *Store) RedeemAuthCode(ctx context.Context, codeHash []byte, now time.Time, issue storage.TokenIssue) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var id string
		err := tx.QueryRowContext(ctx, `UPDATE auth_requests SET code_expires_at = NULL
			WHERE code_hash = ? AND done = 1 AND code_expires_at > ? RETURNING id`,
			blob(codeHash), now.UnixMicro()).Scan(&id)
		if err != nil {
			return mapErr(err)
		}
		return insertTokens(ctx, tx, issue)
	})
	if err != nil {
		return fmt.Errorf("redeem auth code: %w", err)
	}
	return nil
}

// DeleteAuthRequest removes a request; ErrNotFound if it does not exist.
func (s *Store) DeleteAuthRequest(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM auth_requests WHERE id = ?`, id)
	if err == nil {
		err = notFoundIfNone(res)
	}
	if err != nil {
		return fmt.Errorf("delete auth request: %w", mapErr(err))
	}
	return nil
}
