package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dingbridge/dingbridge/storage"
)

// CompleteLogin commits one successful login in one transaction: it
// resolves the identity to a user (creating user and binding on a first
// login), creates or replaces the session, and marks the authorization
// request done with its code digest, or, with c.Request set, inserts that
// pending request done. A request that is unknown, expired or already
// done, or a pending request whose ID is stored already, whose ExpiresAt
// is not after c.Now or whose client does not exist yields ErrNotFound
// and nothing is written.
//
// The commit does not wait for the WAL flush (package documentation). A
// returning person (a binding with the identity's corp and user id
// exists) and a single sign-on (Subject set) complete in one statement,
// which is its own transaction (completeLoginOnce), whether the request
// is stored or pending; a first login, a login known only by union id,
// and any case that statement does not match take the general path.
//
// Two first logins of the same person at once cannot create two users:
// the binding is inserted with ON CONFLICT DO NOTHING, which waits for a
// concurrent insert of the same identity to commit, and the loser re-reads
// and updates the winner's binding. Two completions of one pending request
// cannot both insert it: the request is inserted with ON CONFLICT (id) DO
// NOTHING, which likewise waits for the first to commit.
func (s *Store) CompleteLogin(ctx context.Context, c storage.LoginCompletion) (storage.User, storage.AuthRequest, error) {
	if r := c.Request; r != nil {
		if r.ID == "" || r.ID != c.AuthRequestID {
			return storage.User{}, storage.AuthRequest{}, errors.New("postgres: complete login: pending request's ID is empty or not AuthRequestID")
		}
		if !r.ExpiresAt.After(c.Now) {
			return storage.User{}, storage.AuthRequest{}, notFound("complete login: pending request expired")
		}
	}
	if c.AuthRequestID != "" {
		u, r, err := s.completeLoginOnce(ctx, c)
		if err == nil {
			return u, r, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return storage.User{}, storage.AuthRequest{}, dbErr("complete login", err)
		}
	}
	var (
		user storage.User
		req  storage.AuthRequest
	)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if c.Identity != nil {
			user, err = resolveIdentity(ctx, tx, *c.Identity, c.NewSubject, c.Now)
		} else {
			user, err = getUser(ctx, tx, c.Subject)
		}
		if err != nil {
			return err
		}
		req, err = finishLogin(ctx, tx, c, user.Subject)
		return err
	})
	if err != nil {
		return storage.User{}, storage.AuthRequest{}, dbErr("complete login", err)
	}
	return user, req, nil
}

// The pieces of the completion statements. completeSet, completeWhere
// and completeValues are the request's completion as the UPDATE of a
// stored request and the INSERT of a pending one write it; sessionUpsert
// and sessionConflict the session.
const (
	// completeSet is the part of the request's SET list both update
	// statements share.
	completeSet = `done = true, session_id = @session_id, auth_time = @auth_time, amr = @amr,
		code_hash = @code_hash, code_expires_at = @code_expires_at`
	// completeWhere selects the stored request to complete.
	completeWhere = `id = @request_id AND NOT done AND expires_at > @now`
	// completeValues are the values of the completion columns after
	// done and subject (authRequestColumns' order), as completeSet sets
	// them.
	completeValues = `@session_id, @auth_time, @amr, @code_hash, @code_expires_at`
	// sessionUpsert creates the session or replaces the one with its ID
	// (single sign-on keeps its session), for the subject in the FROM
	// item its SELECT names.
	sessionUpsert = `INSERT INTO sessions (id, subject, auth_time, amr, corp_id, created_at, expires_at)
		SELECT @session_id, subject, @session_auth_time, @session_amr, @session_corp_id,
			@session_created_at, @session_expires_at`
	sessionConflict = ` ON CONFLICT (id) DO UPDATE SET subject = excluded.subject,
		auth_time = excluded.auth_time, amr = excluded.amr, corp_id = excluded.corp_id,
		created_at = excluded.created_at, expires_at = excluded.expires_at`

	// bindingSubject is the subject of the binding of (corp_id,
	// user_id), bindingExists whether that binding exists.
	bindingSubject = `(SELECT subject FROM bindings
			WHERE corp_id = @corp_id AND user_id = @user_id AND user_id <> '')`
	bindingExists = `EXISTS (SELECT 1 FROM bindings
			WHERE corp_id = @corp_id AND user_id = @user_id AND user_id <> '')`
	// userExists is whether the user @subject exists.
	userExists = `EXISTS (SELECT 1 FROM users WHERE subject = @subject)`
)

// The statements of completeLoginOnce, each in two forms: complete…SQL
// marks a stored request done (UPDATE), completePending…SQL inserts the
// completion's pending request done (INSERT … ON CONFLICT (id) DO
// NOTHING); the rest of the statement is the same. Each writes the
// request first, in the CTE ar; the binding, user and session are written
// only when that matched (EXISTS (SELECT 1 FROM ar)), so a request that is
// gone or done, or a pending one whose ID is stored, writes nothing. That
// holds against a concurrent completion of the same request too: the row
// lock makes the second UPDATE re-check NOT done, and the second INSERT
// of an ID waits for the first to commit and then inserts nothing.
var (
	// completeByUserIDSQL completes a returning person's login: the
	// binding of (corp_id, user_id) gives the subject and records the
	// login, as updateIdentityByUserID does. The user's row is written
	// only when the login's profile differs from it (UpdatedAt moves
	// only then, on every path), so a returning person with an unchanged
	// profile costs one row write less; the statement returns the user as
	// it is after the statement either way, but for its profile, which is
	// the login's (completeLoginOnce sets it without reading it back).
	completeByUserIDSQL        = completeByUserID(false)
	completePendingByUserIDSQL = completeByUserID(true)
	// completeBySubjectSQL completes a login of an existing user
	// (single sign-on).
	completeBySubjectSQL        = completeBySubject(false)
	completePendingBySubjectSQL = completeBySubject(true)
)

// completeRequest is the statement of the CTE ar: the stored request
// @request_id marked done (pending false) or the pending request of
// authRequestValues inserted done, for the subject the SQL expression
// subject gives, when the condition guard holds. Either returns the
// request's authRequestColumns, or no row. It reads asyncCommitCTE, which
// the statement it goes into must define.
func completeRequest(pending bool, subject, guard string) string {
	if pending {
		return `INSERT INTO auth_requests (` + authRequestColumns + `)
		SELECT ` + authRequestValues + `,
			true, ` + subject + `, ` + completeValues + `
		WHERE ` + asyncCommitRead + ` AND ` + guard + ` AND ` + clientExists + `@client_id)
		ON CONFLICT (id) DO NOTHING
		RETURNING ` + authRequestColumns
	}
	return `UPDATE auth_requests SET ` + completeSet + `, subject = ` + subject + `
		WHERE ` + asyncCommitRead + ` AND ` + completeWhere + ` AND ` + guard + `
		RETURNING ` + authRequestColumns
}

func completeByUserID(pending bool) string {
	return `WITH ` + asyncCommitCTE + `, ar AS (
		` + completeRequest(pending, bindingSubject, bindingExists) + `
	), b AS (
		UPDATE bindings SET ` + loginSet + `
		WHERE corp_id = @corp_id AND user_id = @user_id AND user_id <> ''
			AND EXISTS (SELECT 1 FROM ar)
		RETURNING subject
	), u AS (
		UPDATE users SET profile = @profile, updated_at = @now
		FROM b WHERE users.subject = b.subject AND users.profile IS DISTINCT FROM @profile::jsonb
		RETURNING users.updated_at
	), s AS (
		` + sessionUpsert + ` FROM b` + sessionConflict + `
	)
	SELECT ar.*, users.subject, users.created_at, COALESCE(u.updated_at, users.updated_at)
	FROM ar, b JOIN users ON users.subject = b.subject LEFT JOIN u ON true`
}

func completeBySubject(pending bool) string {
	return `WITH ` + asyncCommitCTE + `, ar AS (
		` + completeRequest(pending, "@subject", userExists) + `
	), s AS (
		` + sessionUpsert + ` FROM ar` + sessionConflict + `
	)
	SELECT ar.*, users.subject, users.profile, users.created_at, users.updated_at
	FROM ar, users WHERE users.subject = @subject`
}

// completeLoginOnce completes the login in one statement when the person
// is known by the completion's keys: an identity with corp and user id
// whose binding exists, or a Subject. pgx.ErrNoRows when it does not
// apply or wrote nothing; the caller then takes the general path, which
// also tells an unknown request from an unknown person.
func (s *Store) completeLoginOnce(ctx context.Context, c storage.LoginCompletion) (storage.User, storage.AuthRequest, error) {
	pending := c.Request != nil
	var (
		q     string
		byID  bool
		ident = c.Identity
	)
	switch {
	case ident != nil && ident.CorpID != "" && ident.UserID != "":
		q, byID = completeByUserIDSQL, true
		if pending {
			q = completePendingByUserIDSQL
		}
	case ident == nil && c.Subject != "":
		q = completeBySubjectSQL
		if pending {
			q = completePendingBySubjectSQL
		}
	default:
		return storage.User{}, storage.AuthRequest{}, pgx.ErrNoRows
	}
	args := make(namedArgs, 48)
	if pending {
		authRequestArgs(args, *c.Request)
	}
	if byID {
		putBindingArgs(args, *ident, "", c.Now)
	} else {
		args["subject"] = c.Subject
	}
	completionArgs(args, c)
	se := c.Session
	args["request_id"] = c.AuthRequestID
	args["now"] = ts(c.Now)
	args["session_auth_time"] = ts(se.AuthTime)
	args["session_amr"] = se.AMR
	args["session_corp_id"] = se.CorpID
	args["session_created_at"] = ts(se.CreatedAt)
	args["session_expires_at"] = ts(se.ExpiresAt)
	var (
		a authRequestScan
		u userScan
	)
	var dests []any
	if byID {
		// The user's profile is the login's: not read back.
		dests = append(a.dests(), &u.u.Subject, &u.createdAt, &u.updatedAt)
		u.u.Profile = ident.Profile
	} else {
		dests = append(a.dests(), u.dests()...)
	}
	scan := func(row pgx.Row) error { return row.Scan(dests...) }
	if err := asyncCommit(ctx, s.pool, q, args, scan); err != nil {
		return storage.User{}, storage.AuthRequest{}, err
	}
	return u.value(), a.value(), nil
}

// completionArgs sets in args the arguments of completeValues (and
// completeSet) from c.
func completionArgs(args namedArgs, c storage.LoginCompletion) {
	args["session_id"] = c.Session.ID
	args["auth_time"] = ts(c.AuthTime)
	args["amr"] = c.AMR
	args["code_hash"] = c.CodeHash
	args["code_expires_at"] = ts(c.CodeExpiresAt)
}

// resolveIdentity returns the user an identity belongs to and records the
// login on its binding. The binding is looked up by (CorpID, UserID), then
// by UnionID within CorpID, then by UnionID in any corp (the same person
// logging in through another corp: a binding for CorpID is added to that
// user). With no binding at all, a user with newSubject and its binding are
// created.
func resolveIdentity(ctx context.Context, tx pgx.Tx, id storage.Identity, newSubject string, now time.Time) (storage.User, error) {
	if !(id.CorpID != "" && id.UserID != "") && id.UnionID == "" {
		return storage.User{}, errNoIdentity
	}
	if id.CorpID != "" && id.UserID != "" {
		u, err := updateIdentityByUserID(ctx, tx, id, now)
		if !errors.Is(err, pgx.ErrNoRows) {
			return u, err
		}
	}
	// A second round is needed only when a concurrent login inserted a
	// binding for this identity between our lookup and our insert; it
	// has committed by then (ON CONFLICT waits for it), so the second
	// lookup finds it.
	for range 2 {
		b, err := loginBinding(ctx, tx, id)
		switch {
		case err == nil && (b.CorpID == id.CorpID || id.CorpID == ""):
			return updateIdentity(ctx, tx, b.id, id, now)
		case err == nil:
			u, added, err := addBinding(ctx, tx, id, b.Subject, now)
			if err != nil || added {
				return u, err
			}
		case errors.Is(err, pgx.ErrNoRows):
			u, created, err := createIdentity(ctx, tx, id, newSubject, now)
			if err != nil || created {
				return u, err
			}
		default:
			return storage.User{}, err
		}
	}
	return storage.User{}, errors.New("binding changed concurrently twice")
}

// loginBinding finds the binding a login of id resolves to, preferring one
// in the identity's corp (see resolveIdentity).
func loginBinding(ctx context.Context, tx pgx.Tx, id storage.Identity) (binding, error) {
	if id.CorpID != "" && id.UserID != "" {
		b, err := bindingByUserID(ctx, tx, id.CorpID, id.UserID)
		if !errors.Is(err, pgx.ErrNoRows) || id.UnionID == "" {
			return b, err
		}
	}
	if id.CorpID != "" {
		b, err := bindingByCorpUnionID(ctx, tx, id.CorpID, id.UnionID)
		if !errors.Is(err, pgx.ErrNoRows) {
			return b, err
		}
	}
	return bindingByUnionID(ctx, tx, id.UnionID)
}

// createIdentity inserts the binding and, only if the binding was new, the
// user, in one statement (the binding's foreign key is checked at the end
// of the statement, after the user exists). created is false when a
// binding with one of the identity's keys already exists.
func createIdentity(ctx context.Context, tx pgx.Tx, id storage.Identity, subject string, now time.Time) (u storage.User, created bool, err error) {
	if subject == "" {
		return storage.User{}, false, errors.New("new subject is empty")
	}
	const q = `WITH b AS (
		INSERT INTO bindings (corp_id, user_id, union_id, subject, profile,
			created_at, updated_at, last_login_at)
		VALUES (@corp_id, @user_id, @union_id, @subject, @profile, @now, @now, @now)
		ON CONFLICT DO NOTHING
		RETURNING subject
	)
	INSERT INTO users (subject, profile, created_at, updated_at)
	SELECT subject, @profile::jsonb, @now::timestamptz, @now::timestamptz FROM b
	RETURNING ` + userColumns
	rows, _ := tx.Query(ctx, q, bindingArgs(id, subject, now))
	u, err = pgx.CollectExactlyOneRow(rows, scanUser)
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.User{}, false, nil
	}
	return u, err == nil, err
}

// addBinding binds the identity to the existing user subject and records
// the login's profile on the user, in one statement. added is false when a
// binding with one of the identity's keys already exists.
func addBinding(ctx context.Context, tx pgx.Tx, id storage.Identity, subject string, now time.Time) (u storage.User, added bool, err error) {
	const q = `WITH b AS (
		INSERT INTO bindings (corp_id, user_id, union_id, subject, profile,
			created_at, updated_at, last_login_at)
		VALUES (@corp_id, @user_id, @union_id, @subject, @profile, @now, @now, @now)
		ON CONFLICT DO NOTHING
		RETURNING subject
	)
	UPDATE users SET ` + userLoginSet + `
	FROM b WHERE users.subject = b.subject
	RETURNING users.subject, users.profile, users.created_at, users.updated_at`
	rows, _ := tx.Query(ctx, q, bindingArgs(id, subject, now))
	u, err = pgx.CollectExactlyOneRow(rows, scanUser)
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.User{}, false, nil
	}
	return u, err == nil, err
}

func bindingArgs(id storage.Identity, subject string, now time.Time) namedArgs {
	return putBindingArgs(make(namedArgs, 6), id, subject, now)
}

// putBindingArgs sets in args what bindingArgs returns, and returns args.
func putBindingArgs(args namedArgs, id storage.Identity, subject string, now time.Time) namedArgs {
	args["corp_id"] = id.CorpID
	args["user_id"] = id.UserID
	args["union_id"] = id.UnionID
	args["subject"] = subject
	args["profile"] = id.Profile
	args["now"] = ts(now)
	return args
}

// userLoginSet is the SET list that records a login's profile on its
// user: UpdatedAt moves only when the profile changes.
const userLoginSet = `updated_at = CASE WHEN users.profile = @profile::jsonb THEN users.updated_at ELSE @now END,
	profile = @profile`

// loginSet is the SET list that records a login on a binding: the
// identity's non-empty ids (within the binding's corp), its profile and
// the login time.
const loginSet = `user_id = CASE WHEN @user_id <> '' AND corp_id = @corp_id THEN @user_id ELSE user_id END,
	union_id = CASE WHEN @union_id <> '' AND corp_id = @corp_id THEN @union_id ELSE union_id END,
	profile = @profile, updated_at = @now, last_login_at = @now`

// updateIdentity records a login on the binding with bindingID and the
// login's profile on its user, in one statement.
func updateIdentity(ctx context.Context, tx pgx.Tx, bindingID int64, id storage.Identity, now time.Time) (storage.User, error) {
	const q = `WITH b AS (
		UPDATE bindings SET ` + loginSet + `
		WHERE id = @id
		RETURNING subject
	)
	UPDATE users SET ` + userLoginSet + `
	FROM b WHERE users.subject = b.subject
	RETURNING users.subject, users.profile, users.created_at, users.updated_at`
	args := bindingArgs(id, "", now)
	args["id"] = bindingID
	rows, _ := tx.Query(ctx, q, args)
	return pgx.CollectExactlyOneRow(rows, scanUser)
}

// updateIdentityByUserID is updateIdentity for the binding of the
// identity's (CorpID, UserID), looked up by the same statement, so that a
// returning person's login costs one statement. pgx.ErrNoRows if there is
// no such binding.
func updateIdentityByUserID(ctx context.Context, tx pgx.Tx, id storage.Identity, now time.Time) (storage.User, error) {
	const q = `WITH b AS (
		UPDATE bindings SET ` + loginSet + `
		WHERE corp_id = @corp_id AND user_id = @user_id AND user_id <> ''
		RETURNING subject
	)
	UPDATE users SET ` + userLoginSet + `
	FROM b WHERE users.subject = b.subject
	RETURNING users.subject, users.profile, users.created_at, users.updated_at`
	rows, _ := tx.Query(ctx, q, bindingArgs(id, "", now))
	return pgx.CollectExactlyOneRow(rows, scanUser)
}

// insertCompletedSQL inserts the completion's pending request done for
// @subject (finishLogin); no row when its ID is stored already or its
// client does not exist.
const insertCompletedSQL = `INSERT INTO auth_requests (` + authRequestColumns + `)
	SELECT ` + authRequestValues + `, true, @subject, ` + completeValues + `
	WHERE ` + clientExists + `@client_id)
	ON CONFLICT (id) DO NOTHING
	RETURNING ` + authRequestColumns

// finishLogin creates or replaces the session and marks the request done
// with its code digest, or inserts the pending request done, in one round
// trip, and returns the request. The transaction commits with
// synchronous_commit off (package documentation).
func finishLogin(ctx context.Context, tx pgx.Tx, c storage.LoginCompletion, subject string) (storage.AuthRequest, error) {
	const sessionSQL = `INSERT INTO sessions (id, subject, auth_time, amr, corp_id, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)` + sessionConflict
	const requestSQL = `UPDATE auth_requests
		SET done = true, subject = $2, session_id = $3, auth_time = $4, amr = $5,
			code_hash = $7, code_expires_at = $8
		WHERE id = $1 AND NOT done AND expires_at > $6
		RETURNING ` + authRequestColumns
	se := c.Session
	var batch pgx.Batch
	batch.Queue(setAsyncCommit)
	batch.Queue(sessionSQL, se.ID, subject, ts(se.AuthTime), se.AMR, se.CorpID, ts(se.CreatedAt), ts(se.ExpiresAt))
	switch {
	case c.Request != nil:
		args := authRequestArgs(make(namedArgs, 26), *c.Request)
		completionArgs(args, c)
		args["subject"] = subject
		batch.Queue(insertCompletedSQL, args)
	case c.AuthRequestID != "":
		batch.Queue(requestSQL, c.AuthRequestID, subject, se.ID, ts(c.AuthTime), c.AMR, c.Now,
			c.CodeHash, ts(c.CodeExpiresAt))
	}
	br := tx.SendBatch(ctx, &batch)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return storage.AuthRequest{}, fmt.Errorf("commit asynchronously: %w", err)
	}
	if _, err := br.Exec(); err != nil {
		return storage.AuthRequest{}, fmt.Errorf("save session: %w", err)
	}
	if c.AuthRequestID == "" {
		return storage.AuthRequest{}, br.Close()
	}
	rows, err := br.Query()
	if err != nil {
		return storage.AuthRequest{}, fmt.Errorf("complete auth request: %w", err)
	}
	r, err := pgx.CollectExactlyOneRow(rows, scanAuthRequest)
	if err != nil {
		return storage.AuthRequest{}, fmt.Errorf("complete auth request: %w", err)
	}
	return r, br.Close()
}

// errNoIdentity reports an identity without any DingTalk id.
var errNoIdentity = errors.New("identity has neither user id with corp id nor union id")
