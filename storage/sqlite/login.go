package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

// CompleteLogin commits everything one successful login writes, in one
// transaction: the identity's user and binding (when Identity is set), the
// browser session, and the authorization request marked done with its
// code digest, or, with c.Request set, that pending request inserted done.
// A request that is unknown, expired or already done, or a pending
// request whose ID is stored already, whose ExpiresAt is not after c.Now
// or whose client does not exist yields ErrNotFound and nothing is
// written. Zero session fields CreatedAt, AuthTime and AMR are taken from
// the completion.
func (s *Store) CompleteLogin(ctx context.Context, c storage.LoginCompletion) (storage.User, storage.AuthRequest, error) {
	if r := c.Request; r != nil {
		if r.ID == "" || r.ID != c.AuthRequestID {
			return storage.User{}, storage.AuthRequest{}, errors.New("complete login: pending request's ID is empty or not AuthRequestID")
		}
		if !r.ExpiresAt.After(c.Now) {
			return storage.User{}, storage.AuthRequest{}, fmt.Errorf("complete login: pending request expired: %w", storage.ErrNotFound)
		}
	}
	var (
		user storage.User
		req  storage.AuthRequest
	)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if c.Identity != nil {
			user, err = resolveIdentity(ctx, tx, *c.Identity, c.NewSubject, c.Now)
		} else {
			user, err = getUser(ctx, tx, c.Subject)
		}
		if err != nil {
			return fmt.Errorf("resolve user: %w", err)
		}
		if err := putSession(ctx, tx, c, user.Subject); err != nil {
			return err
		}
		switch {
		case c.Request != nil:
			req, err = insertCompleted(ctx, tx, c, user.Subject)
		case c.AuthRequestID != "":
			req, err = markDone(ctx, tx, c, user.Subject)
		}
		return err
	})
	if err != nil {
		return storage.User{}, storage.AuthRequest{}, fmt.Errorf("complete login: %w", err)
	}
	return user, req, nil
}

// markDone marks the stored request c.AuthRequestID done for subject with
// the completion's fields and code; ErrNotFound if it is unknown, expired
// or done.
func markDone(ctx context.Context, tx *sql.Tx, c storage.LoginCompletion, subject string) (storage.AuthRequest, error) {
	var e encoder
	amr := e.json(c.AMR)
	if e.err != nil {
		return storage.AuthRequest{}, e.err
	}
	var codeHash any // NULL unless a code is issued: the column is UNIQUE
	if c.CodeHash != nil {
		codeHash = c.CodeHash
	}
	req, err := scanAuthRequest(tx.QueryRowContext(ctx, `UPDATE auth_requests
		SET done = 1, subject = ?, session_id = ?, auth_time = ?, amr = ?,
			code_hash = ?, code_expires_at = ?
		WHERE id = ? AND done = 0 AND expires_at > ?
		RETURNING `+authRequestColumns,
		subject, c.Session.ID, micros(c.AuthTime), amr, codeHash, micros(c.CodeExpiresAt),
		c.AuthRequestID, c.Now.UnixMicro()))
	if err != nil {
		return storage.AuthRequest{}, fmt.Errorf("mark auth request done: %w", mapErr(err))
	}
	return req, nil
}

// insertCompleted inserts the pending request c.Request done for subject
// with the completion's fields and code, the values markDone sets;
// ErrNotFound if a request with its ID is stored or its client does not
// exist.
func insertCompleted(ctx context.Context, tx *sql.Tx, c storage.LoginCompletion, subject string) (storage.AuthRequest, error) {
	r := *c.Request
	r.Done, r.Subject, r.SessionID, r.AuthTime, r.AMR = true, subject, c.Session.ID, c.AuthTime, c.AMR
	r.CodeHash, r.CodeExpiresAt = c.CodeHash, c.CodeExpiresAt
	args, err := authRequestArgs(r)
	if err != nil {
		return storage.AuthRequest{}, err
	}
	req, err := scanAuthRequest(tx.QueryRowContext(ctx, insertAuthRequestSQL+`
		ON CONFLICT (id) DO NOTHING
		RETURNING `+authRequestColumns, args...))
	if err != nil {
		return storage.AuthRequest{}, fmt.Errorf("insert completed auth request: %w", mapErr(err))
	}
	return req, nil
}

// putSession creates or replaces the completion's session for subject.
func putSession(ctx context.Context, tx *sql.Tx, c storage.LoginCompletion, subject string) error {
	sess := c.Session
	if sess.CreatedAt.IsZero() {
		sess.CreatedAt = c.Now
	}
	if sess.AuthTime.IsZero() {
		sess.AuthTime = c.AuthTime
	}
	if sess.AMR == nil {
		sess.AMR = c.AMR
	}
	var e encoder
	amr := e.json(sess.AMR)
	if e.err != nil {
		return e.err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, subject, auth_time, amr, corp_id, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET subject = excluded.subject, auth_time = excluded.auth_time,
			amr = excluded.amr, corp_id = excluded.corp_id, created_at = excluded.created_at,
			expires_at = excluded.expires_at`,
		sess.ID, subject, micros(sess.AuthTime), amr, sess.CorpID, micros(sess.CreatedAt), micros(sess.ExpiresAt))
	if err != nil {
		return fmt.Errorf("store session: %w", mapErr(err))
	}
	return nil
}

// resolveIdentity finds or creates the user of a DingTalk identity and
// records the login on its binding:
//   - a binding for (CorpID, UserID), or for UnionID in the same corp or in
//     no corp, is updated with the identity's non-empty ids and profile;
//   - a binding for UnionID only in other corps means the same person in a
//     new corp: a second binding to the same user is created;
//   - otherwise a user with newSubject and its first binding are created.
//
// The user's profile becomes the identity's.
func resolveIdentity(ctx context.Context, tx *sql.Tx, id storage.Identity, newSubject string, now time.Time) (storage.User, error) {
	var e encoder
	profile := e.json(id.Profile)
	if e.err != nil {
		return storage.User{}, e.err
	}
	b, err := binding{}, storage.ErrNotFound
	if id.CorpID != "" && id.UserID != "" {
		b, err = findBinding(ctx, tx, id)
	}
	if isNotFound(err) && id.UnionID != "" {
		b, err = bindingByUnionID(ctx, tx, id.UnionID, id.CorpID)
	}
	switch {
	case err == nil && (id.CorpID == "" || b.CorpID == id.CorpID):
		_, err = tx.ExecContext(ctx, `UPDATE bindings SET
				user_id = CASE WHEN ?1 <> '' THEN ?1 ELSE user_id END,
				union_id = CASE WHEN ?2 <> '' THEN ?2 ELSE union_id END,
				profile = ?3, updated_at = ?4, last_login_at = ?4
			WHERE id = ?5`, id.UserID, id.UnionID, profile, micros(now), b.rowID)
		if err != nil {
			return storage.User{}, fmt.Errorf("update binding: %w", mapErr(err))
		}
		return updateUserProfile(ctx, tx, b.Subject, profile, now)
	case err == nil:
		if err := insertBinding(ctx, tx, id, b.Subject, profile, now); err != nil {
			return storage.User{}, err
		}
		return updateUserProfile(ctx, tx, b.Subject, profile, now)
	case !errors.Is(err, storage.ErrNotFound):
		return storage.User{}, fmt.Errorf("find binding: %w", err)
	}
	if newSubject == "" {
		return storage.User{}, errors.New("new identity without a subject to create")
	}
	u := storage.User{Subject: newSubject, CreatedAt: now, UpdatedAt: now, Profile: id.Profile}
	_, err = tx.ExecContext(ctx, `INSERT INTO users (subject, profile, created_at, updated_at) VALUES (?, ?, ?, ?)`,
		newSubject, profile, micros(now), micros(now))
	if err != nil {
		return storage.User{}, fmt.Errorf("create user %q: %w", newSubject, mapErr(err))
	}
	if err := insertBinding(ctx, tx, id, newSubject, profile, now); err != nil {
		return storage.User{}, err
	}
	return getUser(ctx, tx, u.Subject)
}

func insertBinding(ctx context.Context, tx *sql.Tx, id storage.Identity, subject, profile string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO bindings (corp_id, user_id, union_id, subject, profile,
			created_at, updated_at, last_login_at)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?6)`,
		id.CorpID, id.UserID, id.UnionID, subject, profile, micros(now))
	if err != nil {
		return fmt.Errorf("create binding: %w", mapErr(err))
	}
	return nil
}

// updateUserProfile records a login's profile on its user; UpdatedAt moves
// only when the profile changes.
func updateUserProfile(ctx context.Context, tx *sql.Tx, subject, profile string, now time.Time) (storage.User, error) {
	var u storage.User
	err := tx.QueryRowContext(ctx, `UPDATE users
		SET updated_at = CASE WHEN profile = ?1 THEN updated_at ELSE ?2 END, profile = ?1
		WHERE subject = ?3
		RETURNING subject, profile, created_at, updated_at`, profile, micros(now), subject).
		Scan(&u.Subject, jsonDest{&u.Profile}, timeDest{&u.CreatedAt}, timeDest{&u.UpdatedAt})
	if err != nil {
		return storage.User{}, fmt.Errorf("update user %q: %w", subject, mapErr(err))
	}
	return u, nil
}
