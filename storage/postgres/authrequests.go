package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dingbridge/dingbridge/storage"
)

// authRequestColumns is the column list scanAuthRequest reads, in order.
const authRequestColumns = `id, client_id, redirect_uri, scopes, response_type, response_mode,
	state, nonce, code_challenge, code_challenge_method, prompt, max_age, login_hint,
	id_token_hint_subject, ui_locales, acr_values, params, created_at, expires_at,
	done, subject, session_id, auth_time, amr, code_hash, code_expires_at`

func scanAuthRequest(row pgx.CollectableRow) (storage.AuthRequest, error) {
	var a authRequestScan
	err := row.Scan(a.dests()...)
	return a.value(), err
}

// authRequestScan holds the destinations of one row's authRequestColumns,
// for queries that return them next to other columns.
type authRequestScan struct {
	r                                             storage.AuthRequest
	createdAt, expiresAt, authTime, codeExpiresAt pgtype.Timestamptz
}

func (a *authRequestScan) dests() []any {
	r := &a.r
	return []any{&r.ID, &r.ClientID, &r.RedirectURI, &r.Scopes, &r.ResponseType,
		&r.ResponseMode, &r.State, &r.Nonce, &r.CodeChallenge, &r.CodeChallengeMethod, &r.Prompt,
		&r.MaxAge, &r.LoginHint, &r.IDTokenHintSubject, &r.UILocales, &r.ACRValues, &r.Params,
		&a.createdAt, &a.expiresAt, &r.Done, &r.Subject, &r.SessionID, &a.authTime, &r.AMR,
		&r.CodeHash, &a.codeExpiresAt}
}

func (a *authRequestScan) value() storage.AuthRequest {
	r := a.r
	r.CreatedAt, r.ExpiresAt = utc(a.createdAt), utc(a.expiresAt)
	r.AuthTime, r.CodeExpiresAt = utc(a.authTime), utc(a.codeExpiresAt)
	return r
}

// authRequestValues names the arguments authRequestArgs gives a
// request's own columns: the first nineteen of authRequestColumns, in
// order, up to the completion fields.
const authRequestValues = `@id, @client_id, @redirect_uri, @scopes, @response_type, @response_mode,
	@state, @nonce, @code_challenge, @code_challenge_method, @prompt, @max_age, @login_hint,
	@id_token_hint_subject, @ui_locales, @acr_values, @params, @created_at, @expires_at`

// authRequestArgs sets in args the named arguments of every column of r
// (authRequestValues, then @done, @subject, @session_id, @auth_time,
// @amr, @code_hash, @code_expires_at) and returns args.
func authRequestArgs(args namedArgs, r storage.AuthRequest) namedArgs {
	args["id"] = r.ID
	args["client_id"] = r.ClientID
	args["redirect_uri"] = r.RedirectURI
	args["scopes"] = r.Scopes
	args["response_type"] = r.ResponseType
	args["response_mode"] = r.ResponseMode
	args["state"] = r.State
	args["nonce"] = r.Nonce
	args["code_challenge"] = r.CodeChallenge
	args["code_challenge_method"] = r.CodeChallengeMethod
	args["prompt"] = r.Prompt
	args["max_age"] = r.MaxAge
	args["login_hint"] = r.LoginHint
	args["id_token_hint_subject"] = r.IDTokenHintSubject
	args["ui_locales"] = r.UILocales
	args["acr_values"] = r.ACRValues
	args["params"] = r.Params
	args["created_at"] = ts(r.CreatedAt)
	args["expires_at"] = ts(r.ExpiresAt)
	args["done"] = r.Done
	args["subject"] = r.Subject
	args["session_id"] = r.SessionID
	args["auth_time"] = ts(r.AuthTime)
	args["amr"] = r.AMR
	args["code_hash"] = r.CodeHash
	args["code_expires_at"] = ts(r.CodeExpiresAt)
	return args
}

// CreateAuthRequest stores a new authorization request; ErrNotFound if
// its client does not exist, ErrAlreadyExists if the ID is taken.
// Completion and code fields of r are stored as given.
func (s *Store) CreateAuthRequest(ctx context.Context, r storage.AuthRequest) error {
	const q = `WITH ` + asyncCommitCTE + `
		INSERT INTO auth_requests (` + authRequestColumns + `) SELECT ` + authRequestValues + `,
		@done, @subject, @session_id, @auth_time, @amr, @code_hash, @code_expires_at
		WHERE ` + asyncCommitRead + ` AND ` + clientExists + `@client_id)
		RETURNING true`
	var inserted bool
	scan := func(row pgx.Row) error { return row.Scan(&inserted) }
	if err := asyncCommit(ctx, s.pool, q, authRequestArgs(make(namedArgs, 26), r), scan); err != nil {
		return dbErr("create auth request", err)
	}
	return nil
}

// asyncCommit runs one statement as its own transaction, in one round
// trip, and scan receives its single row (pgx.ErrNoRows when there is
// none). The statement commits with synchronous_commit off (see the
// package documentation for which writes may) only if it was built to:
// asyncCommitCTE first in its WITH list, read by asyncCommitRead.
func asyncCommit(ctx context.Context, pool *pgxpool.Pool, sql string, args namedArgs, scan func(pgx.Row) error) error {
	return scan(pool.QueryRow(ctx, sql, args))
}

// asyncCommitCTE turns synchronous_commit off for the rest of the
// transaction of the statement whose WITH list it heads, when the
// statement reads it (asyncCommitRead). SET LOCAL would do the same as a
// statement of its own; sent in the same pipeline, it doubled the CPU
// PostgreSQL spent on a one-row insert.
const asyncCommitCTE = `async_commit AS (SELECT set_config('synchronous_commit', 'off', true))`

// asyncCommitRead is a condition that is always true and reads
// asyncCommitCTE. It names no column of the statement's rows, so the
// planner evaluates it once, before any row is read or written.
const asyncCommitRead = `EXISTS (SELECT FROM async_commit)`

// setAsyncCommit turns synchronous_commit off for the rest of an explicit
// transaction.
const setAsyncCommit = "SET LOCAL synchronous_commit TO off"

// GetAuthRequest loads a request that has not expired by the wall clock.
func (s *Store) GetAuthRequest(ctx context.Context, id string) (storage.AuthRequest, error) {
	const q = `SELECT ` + authRequestColumns + ` FROM auth_requests WHERE id = $1 AND expires_at > $2`
	rows, _ := s.pool.Query(ctx, q, id, time.Now())
	r, err := pgx.CollectExactlyOneRow(rows, scanAuthRequest)
	if err != nil {
		return storage.AuthRequest{}, dbErr("get auth request", err)
	}
	return r, nil
}

// SaveAuthCode attaches the digest of an issued authorization code to a
// completed request that has not expired by the wall clock; ErrNotFound
// otherwise, ErrAlreadyExists if another request holds the digest.
func (s *Store) SaveAuthCode(ctx context.Context, authRequestID string, codeHash []byte, expiresAt time.Time) error {
	const q = `UPDATE auth_requests SET code_hash = $2, code_expires_at = $3
		WHERE id = $1 AND done AND expires_at > $4`
	tag, err := s.pool.Exec(ctx, q, authRequestID, codeHash, ts(expiresAt), time.Now())
	if err != nil {
		return dbErr("save auth code", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("save auth code")
	}
	return nil
}

// GetAuthRequestByCode loads the completed request holding the code
// digest if the code has not expired; a redeemed code's request is gone.
func (s *Store) GetAuthRequestByCode(ctx context.Context, codeHash []byte, now time.Time) (storage.AuthRequest, error) {
	const q = `SELECT ` + authRequestColumns + ` FROM auth_requests
		WHERE code_hash = $1 AND done AND code_expires_at > $2`
	rows, _ := s.pool.Query(ctx, q, codeHash, now)
	r, err := pgx.CollectExactlyOneRow(rows, scanAuthRequest)
	if err != nil {
		return storage.AuthRequest{}, dbErr("get auth request by code", err)
	}
	return r, nil
}

// DeleteAuthRequest removes a request; ErrNotFound if it does not exist.
func (s *Store) DeleteAuthRequest(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM auth_requests WHERE id = $1`, id)
	if err != nil {
		return dbErr("delete auth request", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("delete auth request")
	}
	return nil
}
