package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/dingbridge/dingbridge/storage"
)

// issueArgs names the columns of the tokens of one TokenIssue: a_* for the
// access token, r_* for the refresh token when there is one. The insert
// statements cast every parameter because they insert from a SELECT,
// where Postgres cannot infer parameter types from the target columns.
func issueArgs(issue storage.TokenIssue) namedArgs {
	a := issue.Access
	args := namedArgs{
		"a_id":         a.ID,
		"a_client_id":  a.ClientID,
		"a_subject":    a.Subject,
		"a_audience":   a.Audience,
		"a_scopes":     a.Scopes,
		"a_session_id": a.SessionID,
		"a_family_id":  a.FamilyID,
		"a_auth_time":  ts(a.AuthTime),
		"a_amr":        a.AMR,
		"a_created_at": ts(a.CreatedAt),
		"a_expires_at": ts(a.ExpiresAt),
	}
	if issue.Refresh == nil {
		return args
	}
	r := *issue.Refresh
	args["r_id"] = r.ID
	args["r_token_hash"] = r.TokenHash
	args["r_family_id"] = r.FamilyID
	args["r_client_id"] = r.ClientID
	args["r_subject"] = r.Subject
	args["r_audience"] = r.Audience
	args["r_scopes"] = r.Scopes
	args["r_session_id"] = r.SessionID
	args["r_auth_time"] = ts(r.AuthTime)
	args["r_amr"] = r.AMR
	args["r_created_at"] = ts(r.CreatedAt)
	args["r_expires_at"] = ts(r.ExpiresAt)
	args["r_rotated_at"] = tsPtr(r.RotatedAt)
	args["r_revoked_at"] = tsPtr(r.RevokedAt)
	return args
}

// issueInserts is the part of a WITH clause that stores the TokenIssue
// bound by issueArgs once for every row of the CTE named source: the access
// token, the session–client link when link is set (TokenIssue.LinkSession)
// and the refresh token when refresh is. Code redemption and refresh
// rotation name the row their UPDATE returned, so nothing is stored when
// it matched nothing.
func issueInserts(source string, refresh, link bool) string {
	q := `access AS (
		INSERT INTO access_tokens (id, client_id, subject, audience, scopes, session_id, family_id,
			auth_time, amr, created_at, expires_at)
		SELECT @a_id::text, @a_client_id::text, @a_subject::text, @a_audience::text[],
			@a_scopes::text[], @a_session_id::text, @a_family_id::text, @a_auth_time::timestamptz,
			@a_amr::text[], @a_created_at::timestamptz, @a_expires_at::timestamptz
		FROM SOURCE
	)`
	if link {
		q += `, link AS (
		INSERT INTO session_clients (session_id, client_id, subject, created_at)
		SELECT @a_session_id::text, @a_client_id::text, @a_subject::text, @a_created_at::timestamptz
		FROM SOURCE WHERE @a_session_id::text <> ''
		ON CONFLICT (session_id, client_id) DO NOTHING
	)`
	}
	if refresh {
		q += `, refresh AS (
		INSERT INTO refresh_tokens (id, token_hash, family_id, client_id, subject, audience, scopes,
			session_id, auth_time, amr, created_at, expires_at, rotated_at, revoked_at)
		SELECT @r_id::text, @r_token_hash::bytea, @r_family_id::text, @r_client_id::text,
			@r_subject::text, @r_audience::text[], @r_scopes::text[], @r_session_id::text,
			@r_auth_time::timestamptz, @r_amr::text[], @r_created_at::timestamptz,
			@r_expires_at::timestamptz, @r_rotated_at::timestamptz, @r_revoked_at::timestamptz
		FROM SOURCE
	)`
	}
	return strings.ReplaceAll(q, "SOURCE", source)
}

// issueStatement is a statement that stores a TokenIssue, in a form for
// each combination of the refresh token's insert and the session link's
// (index: refresh, then link, as bits). A statement that names a table
// opens and locks it and each of its indexes even when it inserts nothing
// there, so a token response leaves out the tables it does not write.
type issueStatement [4]string

func newIssueStatement(head, source, tail string) issueStatement {
	var q issueStatement
	for i := range q {
		q[i] = head + issueInserts(source, i&1 != 0, i&2 != 0) + tail
	}
	return q
}

// of is the form that stores issue.
func (q issueStatement) of(issue storage.TokenIssue) string {
	return q[q.index(issue)]
}

// index is the index of the form that stores issue.
func (issueStatement) index(issue storage.TokenIssue) int {
	i := 0
	if issue.Refresh != nil {
		i |= 1
	}
	if issue.LinkSession && issue.Access.SessionID != "" {
		i |= 2
	}
	return i
}

// The statements that store a TokenIssue, built once.
var (
	// createTokensQuery stores tokens issued without a code, when their
	// client exists.
	createTokensQuery = newIssueStatement(`WITH source AS (
		SELECT 1 WHERE `+clientExists+`@a_client_id::text)
	), `, "source", `
	SELECT count(*) FROM source`)
	// redeemQuery spends the code of the request holding it (its
	// expiry cleared; the request stays, done, until it expires) and
	// stores the tokens only for the row it updated. The column it
	// writes is in no index, so the update can stay on its page.
	redeemQuery = newIssueStatement(`WITH redeemed AS (
		UPDATE auth_requests SET code_expires_at = NULL
		WHERE code_hash = @code_hash AND done AND code_expires_at > @now
			AND `+clientExists+`auth_requests.client_id)
		RETURNING id
	), `, "redeemed", `
	SELECT count(*) FROM redeemed`)
	// rotateQuery marks the old refresh token rotated and stores the
	// successor only for the row it updated.
	rotateQuery = newIssueStatement(`WITH rotated AS (
		UPDATE refresh_tokens SET rotated_at = @now
		WHERE token_hash = @old_hash AND rotated_at IS NULL AND revoked_at IS NULL
			AND expires_at > @now AND `+clientExists+`refresh_tokens.client_id)
		RETURNING family_id
	), `, "rotated", `
	SELECT count(*) FROM rotated`)
)

// CreateTokens stores tokens issued without an authorization code, in one
// statement; ErrNotFound if their client does not exist.
func (s *Store) CreateTokens(ctx context.Context, issue storage.TokenIssue) error {
	var n int
	if err := s.pool.QueryRow(ctx, createTokensQuery.of(issue), issueArgs(issue)).Scan(&n); err != nil {
		return dbErr("create tokens", err)
	}
	if n == 0 {
		return notFound("create tokens")
	}
	return nil
}

// RedeemAuthCode spends the unexpired code digest of the completed request
// holding it and stores the issued tokens, in one statement: the UPDATE …
// RETURNING decides, so of concurrent callers with the same code exactly
// one inserts tokens; the others, and callers with an unknown, expired or
// redeemed code, get ErrNotFound. The statement may carry other
// redemptions that arrived meanwhile (redeembatch.go).
func (s *Store) RedeemAuthCode(ctx context.Context, codeHash []byte, now time.Time, issue storage.TokenIssue) error {
	return s.redeem(ctx, codeHash, now, issue)
}

// redeemOne is RedeemAuthCode as a statement of its own.
func (s *Store) redeemOne(ctx context.Context, codeHash []byte, now time.Time, issue storage.TokenIssue) error {
	args := issueArgs(issue)
	args["code_hash"] = codeHash
	args["now"] = now
	var n int
	if err := s.pool.QueryRow(ctx, redeemQuery.of(issue), args).Scan(&n); err != nil {
		return dbErr("redeem auth code", err)
	}
	if n == 0 {
		return notFound("redeem auth code")
	}
	return nil
}

// accessColumns is the column list accessScan receives, in order.
const accessColumns = `id, client_id, subject, audience, scopes, session_id, family_id,
	auth_time, amr, created_at, expires_at`

// accessScan receives the columns of accessColumns.
type accessScan struct {
	a                              storage.AccessToken
	authTime, createdAt, expiresAt pgtype.Timestamptz
}

func (s *accessScan) dests() []any {
	return []any{&s.a.ID, &s.a.ClientID, &s.a.Subject, &s.a.Audience, &s.a.Scopes, &s.a.SessionID,
		&s.a.FamilyID, &s.authTime, &s.a.AMR, &s.createdAt, &s.expiresAt}
}

func (s *accessScan) value() storage.AccessToken {
	a := s.a
	a.AuthTime, a.CreatedAt, a.ExpiresAt = utc(s.authTime), utc(s.createdAt), utc(s.expiresAt)
	return a
}

func scanAccessToken(row pgx.CollectableRow) (storage.AccessToken, error) {
	var s accessScan
	err := row.Scan(s.dests()...)
	return s.value(), err
}

// liveAccessToken is the condition on access_tokens of a token that is
// found: unexpired at $2 (revoked ones are deleted) and of a client that
// exists.
const liveAccessToken = `expires_at > $2 AND ` + clientExists + `access_tokens.client_id)`

// GetAccessToken loads an unexpired access token of an existing client by
// ID.
func (s *Store) GetAccessToken(ctx context.Context, id string, now time.Time) (storage.AccessToken, error) {
	const q = `SELECT ` + accessColumns + ` FROM access_tokens WHERE id = $1 AND ` + liveAccessToken
	rows, _ := s.pool.Query(ctx, q, id, now)
	a, err := pgx.CollectExactlyOneRow(rows, scanAccessToken)
	if err != nil {
		return storage.AccessToken{}, dbErr("get access token", err)
	}
	return a, nil
}

// accessTokenUserQuery reads an access token with its user, the user's
// bindings (as an array of records) and the CorpID of the token's live
// session (NULL when there is none).
const accessTokenUserQuery = `SELECT token.*, holder.*,
		(SELECT corp_id FROM sessions
			WHERE id = token.session_id AND token.session_id <> '' AND expires_at > $2),
		ARRAY(SELECT ROW(` + bindingColumns + `) FROM bindings
			WHERE subject = token.subject ORDER BY ` + bindingOrder + `)
	FROM (SELECT ` + accessColumns + ` FROM access_tokens WHERE id = $1 AND ` + liveAccessToken + `) token
	CROSS JOIN LATERAL (SELECT ` + userColumns + ` FROM users WHERE subject = token.subject) holder`

// GetAccessTokenUser loads an unexpired access token, its user, the
// user's bindings and its session's corp in one statement.
func (s *Store) GetAccessTokenUser(ctx context.Context, id string, now time.Time) (storage.AccessTokenUser, error) {
	var (
		a           accessScan
		u           userScan
		profile     json.RawMessage
		sessionCorp pgtype.Text
		bindings    []bindingScan
	)
	dests := append(a.dests(), &u.u.Subject, &profile, &u.createdAt, &u.updatedAt, &sessionCorp, &bindings)
	if err := s.pool.QueryRow(ctx, accessTokenUserQuery, id, now).Scan(dests...); err != nil {
		return storage.AccessTokenUser{}, dbErr("get access token user", err)
	}
	// The claims show a binding's profile when there is one.
	if len(bindings) == 0 {
		if err := json.Unmarshal(profile, &u.u.Profile); err != nil {
			return storage.AccessTokenUser{}, fmt.Errorf("get access token user: profile: %w", err)
		}
	}
	out := storage.AccessTokenUser{
		Token:         a.value(),
		User:          u.value(),
		SessionFound:  sessionCorp.Valid,
		SessionCorpID: sessionCorp.String,
	}
	if len(bindings) > 0 {
		out.Bindings = make([]storage.Binding, len(bindings))
		for i := range bindings {
			out.Bindings[i] = bindings[i].value().Binding
		}
	}
	return out, nil
}

// RevokeAccessToken deletes one access token; ErrNotFound if absent.
func (s *Store) RevokeAccessToken(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM access_tokens WHERE id = $1`, id)
	if err != nil {
		return dbErr("revoke access token", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("revoke access token")
	}
	return nil
}

// refreshColumns is the column list scanRefreshToken reads, in order.
const refreshColumns = `id, token_hash, family_id, client_id, subject, audience, scopes,
	session_id, auth_time, amr, created_at, expires_at, rotated_at, revoked_at`

func scanRefreshToken(row pgx.CollectableRow) (storage.RefreshToken, error) {
	var (
		r                                                    storage.RefreshToken
		authTime, createdAt, expiresAt, rotatedAt, revokedAt pgtype.Timestamptz
	)
	err := row.Scan(&r.ID, &r.TokenHash, &r.FamilyID, &r.ClientID, &r.Subject, &r.Audience,
		&r.Scopes, &r.SessionID, &authTime, &r.AMR, &createdAt, &expiresAt, &rotatedAt, &revokedAt)
	r.AuthTime, r.CreatedAt, r.ExpiresAt = utc(authTime), utc(createdAt), utc(expiresAt)
	r.RotatedAt, r.RevokedAt = utcPtr(rotatedAt), utcPtr(revokedAt)
	return r, err
}

// GetRefreshToken loads a refresh token by digest if it is unexpired, not
// rotated and not revoked, and its client exists. A rotated token revokes
// its family and yields ErrTokenReused.
func (s *Store) GetRefreshToken(ctx context.Context, tokenHash []byte, now time.Time) (storage.RefreshToken, error) {
	const q = `SELECT ` + refreshColumns + ` FROM refresh_tokens WHERE token_hash = $1
		AND ` + clientExists + `refresh_tokens.client_id)`
	rows, _ := s.pool.Query(ctx, q, tokenHash)
	r, err := pgx.CollectExactlyOneRow(rows, scanRefreshToken)
	if err != nil {
		return storage.RefreshToken{}, dbErr("get refresh token", err)
	}
	switch {
	case r.RotatedAt != nil:
		if err := s.revokeFamily(ctx, r.FamilyID, now); err != nil {
			return storage.RefreshToken{}, fmt.Errorf("postgres: get refresh token: %w", err)
		}
		return storage.RefreshToken{}, fmt.Errorf("postgres: get refresh token: %w", storage.ErrTokenReused)
	case r.RevokedAt != nil || !r.ExpiresAt.After(now):
		return storage.RefreshToken{}, notFound("get refresh token")
	}
	return r, nil
}

// RotateRefreshToken marks the token with oldHash rotated and stores issue.
// The conditional UPDATE decides: of concurrent callers exactly one matches
// the row while it is unrotated, and stores the new tokens in the same
// statement. Otherwise a rotated token revokes its family and yields
// ErrTokenReused; an unknown, expired or revoked one yields ErrNotFound.
func (s *Store) RotateRefreshToken(ctx context.Context, oldHash []byte, now time.Time, issue storage.TokenIssue) error {
	args := issueArgs(issue)
	args["old_hash"] = oldHash
	args["now"] = now
	var n int
	if err := s.pool.QueryRow(ctx, rotateQuery.of(issue), args).Scan(&n); err != nil {
		return dbErr("rotate refresh token", err)
	}
	if n == 1 {
		return nil
	}

	// The token was not rotatable. rotated_at is never cleared, so a
	// token seen rotated now was rotated when the UPDATE skipped it.
	var (
		familyID  string
		rotatedAt pgtype.Timestamptz
	)
	err := s.pool.QueryRow(ctx, `SELECT family_id, rotated_at FROM refresh_tokens WHERE token_hash = $1`,
		oldHash).Scan(&familyID, &rotatedAt)
	if err != nil {
		return dbErr("rotate refresh token", err)
	}
	if !rotatedAt.Valid {
		return notFound("rotate refresh token") // expired or revoked
	}
	if err := s.revokeFamily(ctx, familyID, now); err != nil {
		return fmt.Errorf("postgres: rotate refresh token: %w", err)
	}
	return fmt.Errorf("postgres: rotate refresh token: %w", storage.ErrTokenReused)
}

// revokeFamily revokes every token of a refresh family not revoked yet and
// deletes the access tokens issued from it, in one statement.
func (s *Store) revokeFamily(ctx context.Context, familyID string, now time.Time) error {
	const q = `WITH revoked AS (
		UPDATE refresh_tokens SET revoked_at = $2
		WHERE family_id = $1 AND revoked_at IS NULL
	)
	DELETE FROM access_tokens WHERE family_id = $1 AND family_id <> ''`
	if _, err := s.pool.Exec(ctx, q, familyID, now); err != nil {
		return dbErr("revoke refresh family", err)
	}
	return nil
}

// RevokeRefreshFamily revokes every refresh token of a family and deletes
// the access tokens issued from it.
func (s *Store) RevokeRefreshFamily(ctx context.Context, familyID string) error {
	return s.revokeFamily(ctx, familyID, time.Now())
}

// RevokeSessionTokens revokes every refresh family with a token bound to
// the session and deletes the access tokens bound to the session or issued
// from those families, in one statement.
func (s *Store) RevokeSessionTokens(ctx context.Context, sessionID string) error {
	const q = `WITH families AS (
		SELECT DISTINCT family_id FROM refresh_tokens
		WHERE session_id = $1 AND $1 <> '' AND family_id <> ''
	), revoked AS (
		UPDATE refresh_tokens SET revoked_at = $2
		WHERE family_id IN (SELECT family_id FROM families) AND revoked_at IS NULL
	)
	DELETE FROM access_tokens
	WHERE $1 <> '' AND (session_id = $1 OR family_id = ANY (ARRAY(SELECT family_id FROM families)))`
	if _, err := s.pool.Exec(ctx, q, sessionID, time.Now()); err != nil {
		return dbErr("revoke session tokens", err)
	}
	return nil
}
