package postgres_test

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dingbridge/dingbridge/storage"
	"github.com/dingbridge/dingbridge/storage/postgres"
	"github.com/dingbridge/dingbridge/storage/postgres/postgrestest"
)

func session(id string, now time.Time) storage.Session {
	return storage.Session{ID: id, AMR: []string{"dingtalk"}, CorpID: "corp-a", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
}

// race runs fn(i) for i in [0, n) in goroutines released at once and
// returns their errors.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func TestCompleteLoginConcurrentFirstLogins(t *testing.T) {
	s := postgrestest.New(t)
	// Several rounds: the first also warms the pool, so later rounds'
	// transactions overlap.
	for round := range 10 {
		firstLoginsRace(t, s, round)
	}
}

// firstLoginsRace runs concurrent first logins of one new person and
// checks they resolve to one user with one binding.
func firstLoginsRace(t *testing.T, s storage.Storage, round int) {
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Microsecond)
	id := &storage.Identity{CorpID: "corp-a", UserID: fmt.Sprintf("u%d", round), UnionID: fmt.Sprintf("union-%d", round), Profile: storage.Profile{Name: "Ada"}}

	const n = 8
	name := func(prefix string, i int) string { return fmt.Sprintf("%s-%d-%d", prefix, round, i) }
	subjects := make([]string, n)
	errs := race(n, func(i int) error {
		u, _, err := s.CompleteLogin(ctx, storage.LoginCompletion{
			Identity:   id,
			NewSubject: name("sub", i),
			Session:    session(name("sess", i), now),
			Now:        now,
		})
		subjects[i] = u.Subject
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("round %d: CompleteLogin #%d: %v", round, i, err)
		}
	}
	for i, sub := range subjects {
		if sub != subjects[0] {
			t.Errorf("round %d: login #%d resolved to %q, login #0 to %q: want one user", round, i, sub, subjects[0])
		}
	}
	users := 0
	for i := range n {
		if _, err := s.GetUser(ctx, name("sub", i)); err == nil {
			users++
		} else if !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("GetUser: %v", err)
		}
	}
	if users != 1 {
		t.Errorf("round %d: %d users created by %d concurrent first logins, want 1", round, users, n)
	}
	bindings, err := s.ListBindings(ctx, subjects[0])
	if err != nil {
		t.Fatalf("ListBindings: %v", err)
	}
	if len(bindings) != 1 {
		t.Errorf("round %d: ListBindings = %d bindings, want 1", round, len(bindings))
	}
	for i := range n {
		sess, err := s.GetSession(ctx, name("sess", i), now)
		if err != nil || sess.Subject != subjects[0] {
			t.Errorf("round %d: session #%d = %+v, %v; want subject %q", round, i, sess, err, subjects[0])
		}
	}
}

func TestCompleteLoginConcurrentSameRequest(t *testing.T) {
	s := postgrestest.New(t)
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Microsecond)
	if err := s.CreateClient(ctx, storage.Client{ID: "c1", Name: "c1", ApplicationType: "web", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAuthRequest(ctx, storage.AuthRequest{ID: "req", ClientID: "c1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	const n = 8
	errs := race(n, func(i int) error {
		_, _, err := s.CompleteLogin(ctx, storage.LoginCompletion{
			AuthRequestID: "req",
			Identity:      &storage.Identity{CorpID: "corp-a", UserID: fmt.Sprintf("u%d", i)},
			NewSubject:    fmt.Sprintf("sub-%d", i),
			Session:       session(fmt.Sprintf("sess-%d", i), now),
			Now:           now,
		})
		return err
	})
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("logins #%d and #%d both completed the request", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, storage.ErrNotFound):
			t.Errorf("CompleteLogin #%d: err = %v, want ErrNotFound", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no login completed the request")
	}
	req, err := s.GetAuthRequest(ctx, "req")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("sub-%d", winner); !req.Done || req.Subject != want {
		t.Errorf("request Done=%v Subject=%q, want true %q", req.Done, req.Subject, want)
	}
	// The losers' transactions rolled back: no user, no session.
	for i := range n {
		if i == winner {
			continue
		}
		if _, err := s.GetUser(ctx, fmt.Sprintf("sub-%d", i)); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("user of losing login #%d: err = %v, want ErrNotFound", i, err)
		}
		if _, err := s.GetSession(ctx, fmt.Sprintf("sess-%d", i), now); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("session of losing login #%d: err = %v, want ErrNotFound", i, err)
		}
	}
}

func TestCompleteLoginFillsUserIDOfUnionBinding(t *testing.T) {
	s := postgrestest.New(t)
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Microsecond)
	login := func(id storage.Identity, newSubject string) storage.User {
		t.Helper()
		u, _, err := s.CompleteLogin(ctx, storage.LoginCompletion{Identity: &id, NewSubject: newSubject, Session: session("sess-"+newSubject, now), Now: now})
		if err != nil {
			t.Fatalf("CompleteLogin: %v", err)
		}
		return u
	}
	// First seen without a user id (e.g. a personal-account login).
	login(storage.Identity{CorpID: "corp-a", UnionID: "union-1"}, "sub-1")
	// Then with one, in the same corp: the binding gains the user id
	// instead of colliding with a new one.
	if u := login(storage.Identity{CorpID: "corp-a", UserID: "u1", UnionID: "union-1"}, "sub-2"); u.Subject != "sub-1" {
		t.Fatalf("second login subject = %q, want sub-1", u.Subject)
	}
	bindings, err := s.ListBindings(ctx, "sub-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(bindings) != 1 || bindings[0].UserID != "u1" || bindings[0].UnionID != "union-1" {
		t.Errorf("bindings = %+v, want one with user id u1 and union id union-1", bindings)
	}
	b, err := s.FindBinding(ctx, storage.Identity{CorpID: "corp-a", UserID: "u1"})
	if err != nil || b.Subject != "sub-1" {
		t.Errorf("FindBinding by user id = %+v, %v; want sub-1", b, err)
	}
}

func TestCompleteLoginRejectsIdentityWithoutIDs(t *testing.T) {
	s := postgrestest.New(t)
	now := time.Now().UTC()
	_, _, err := s.CompleteLogin(t.Context(), storage.LoginCompletion{
		Identity: &storage.Identity{CorpID: "corp-a"}, NewSubject: "sub-1", Session: session("sess-1", now), Now: now,
	})
	if err == nil {
		t.Fatal("CompleteLogin with an identity without ids succeeded")
	}
	if _, err := s.GetUser(t.Context(), "sub-1"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetUser after refused login: err = %v, want ErrNotFound", err)
	}
}

// oneStatementStore is a fresh store with client c1, for the tests of
// the one-statement completions, and the time they run at.
func oneStatementStore(t *testing.T) (*postgres.Store, time.Time) {
	t.Helper()
	s := postgrestest.New(t)
	now := time.Now().UTC().Truncate(time.Microsecond)
	mustOK(t, "CreateClient", s.CreateClient(t.Context(), storage.Client{ID: "c1", RedirectURIs: []string{"https://rp/cb"}, CreatedAt: now, UpdatedAt: now}))
	return s, now
}

func mustOK(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// TestCompleteLoginOneStatement checks which logins complete in the one
// statement of the fast path: a returning person known by corp and user
// id, and single sign-on by subject; a first login, a login known only
// by union id and a done request fall through (pgx.ErrNoRows) without
// writing anything.
func TestCompleteLoginOneStatement(t *testing.T) {
	s, now := oneStatementStore(t)
	ctx := t.Context()
	must := func(what string, err error) { t.Helper(); mustOK(t, what, err) }
	newRequest := func(id string) {
		t.Helper()
		must("CreateAuthRequest", s.CreateAuthRequest(ctx, storage.AuthRequest{
			ID: id, ClientID: "c1", RedirectURI: "https://rp/cb", Scopes: []string{"openid"},
			ResponseType: "code", CreatedAt: now, ExpiresAt: now.Add(time.Hour),
		}))
	}
	id := storage.Identity{CorpID: "corp-a", UserID: "u1", UnionID: "union-1"}
	completion := func(req, sess string) storage.LoginCompletion {
		return storage.LoginCompletion{
			AuthRequestID: req, Identity: &id, NewSubject: "sub-1", Session: session(sess, now),
			AuthTime: now, AMR: []string{"qr"}, CodeHash: []byte("digest-" + req), CodeExpiresAt: now.Add(time.Minute), Now: now,
		}
	}
	noRows := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, pgx.ErrNoRows) {
			t.Fatalf("%s: err = %v, want pgx.ErrNoRows (general path)", what, err)
		}
	}

	newRequest("first")
	_, _, err := postgres.CompleteLoginOnce(s, ctx, completion("first", "s-first"))
	noRows("first login", err)
	if _, err := s.GetSession(ctx, "s-first", now); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("fast path wrote a session for a first login: %v", err)
	}
	_, _, err = s.CompleteLogin(ctx, completion("first", "s-first"))
	must("CompleteLogin first", err)

	newRequest("again")
	u, r, err := postgres.CompleteLoginOnce(s, ctx, completion("again", "s-again"))
	must("returning person", err)
	if u.Subject != "sub-1" || r.Subject != "sub-1" || !r.Done || r.SessionID != "s-again" || string(r.CodeHash) != "digest-again" {
		t.Fatalf("returning person: user %q, request %+v", u.Subject, r)
	}
	_, _, err = postgres.CompleteLoginOnce(s, ctx, completion("again", "s-again-2"))
	noRows("done request", err)

	newRequest("sso")
	c := completion("sso", "s-again")
	c.Identity, c.Subject = nil, "sub-1"
	u, r, err = postgres.CompleteLoginOnce(s, ctx, c)
	must("single sign-on", err)
	if u.Subject != "sub-1" || r.SessionID != "s-again" || !r.Done {
		t.Fatalf("single sign-on: user %q, request %+v", u.Subject, r)
	}

	newRequest("union")
	c = completion("union", "s-union")
	c.Identity = &storage.Identity{UnionID: "union-1"}
	_, _, err = postgres.CompleteLoginOnce(s, ctx, c)
	noRows("union id only", err)
}

// TestCompleteLoginPendingOneStatement is TestCompleteLoginOneStatement
// for pending requests (LoginCompletion.Request): a returning person and
// single sign-on insert the request in the one statement; a first login,
// a request whose ID is stored and a request of an unknown client write
// nothing there (for the last, CompleteLogin's general path then refuses
// the login with ErrNotFound, writing nothing either).
func TestCompleteLoginPendingOneStatement(t *testing.T) {
	s, now := oneStatementStore(t)
	ctx := t.Context()
	must := func(what string, err error) { t.Helper(); mustOK(t, what, err) }
	request := func(id, client string) *storage.AuthRequest {
		return &storage.AuthRequest{
			ID: id, ClientID: client, RedirectURI: "https://rp/cb", Scopes: []string{"openid"},
			ResponseType: "code", Params: map[string]string{"corp_id": "corp-a"}, CreatedAt: now, ExpiresAt: now.Add(time.Hour),
		}
	}
	id := storage.Identity{CorpID: "corp-a", UserID: "u1", UnionID: "union-1"}
	completion := func(req, sess string) storage.LoginCompletion {
		return storage.LoginCompletion{
			AuthRequestID: req, Request: request(req, "c1"), Identity: &id, NewSubject: "sub-1", Session: session(sess, now),
			AuthTime: now, AMR: []string{"qr"}, CodeHash: []byte("digest-" + req), CodeExpiresAt: now.Add(time.Minute), Now: now,
		}
	}
	noRows := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, pgx.ErrNoRows) {
			t.Fatalf("%s: err = %v, want pgx.ErrNoRows (general path)", what, err)
		}
	}
	noSession := func(what, sess string) {
		t.Helper()
		if _, err := s.GetSession(ctx, sess, now); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("%s: fast path wrote session %s: %v", what, sess, err)
		}
	}

	_, _, err := postgres.CompleteLoginOnce(s, ctx, completion("first", "s-first"))
	noRows("first login", err)
	noSession("first login", "s-first")
	if _, err := s.GetAuthRequest(ctx, "first"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("fast path stored the request of a first login: %v", err)
	}
	_, r, err := s.CompleteLogin(ctx, completion("first", "s-first"))
	must("CompleteLogin first", err)
	if !r.Done || r.Subject != "sub-1" || r.Params["corp_id"] != "corp-a" {
		t.Fatalf("first login: request %+v", r)
	}

	u, r, err := postgres.CompleteLoginOnce(s, ctx, completion("again", "s-again"))
	must("returning person", err)
	if u.Subject != "sub-1" || r.ID != "again" || r.Subject != "sub-1" || !r.Done || r.SessionID != "s-again" ||
		string(r.CodeHash) != "digest-again" || r.Params["corp_id"] != "corp-a" {
		t.Fatalf("returning person: user %q, request %+v", u.Subject, r)
	}
	stored, err := s.GetAuthRequest(ctx, "again")
	must("GetAuthRequest", err)
	if !reflect.DeepEqual(stored, r) {
		t.Fatalf("stored request %+v, returned %+v", stored, r)
	}
	_, _, err = postgres.CompleteLoginOnce(s, ctx, completion("again", "s-again-2"))
	noRows("request stored", err)
	noSession("request stored", "s-again-2")

	c := completion("sso", "s-again")
	c.Identity, c.Subject = nil, "sub-1"
	u, r, err = postgres.CompleteLoginOnce(s, ctx, c)
	must("single sign-on", err)
	if u.Subject != "sub-1" || r.Subject != "sub-1" || r.SessionID != "s-again" || !r.Done {
		t.Fatalf("single sign-on: user %q, request %+v", u.Subject, r)
	}
	c.Session = session("s-sso-2", now)
	_, _, err = postgres.CompleteLoginOnce(s, ctx, c)
	noRows("single sign-on, request stored", err)
	noSession("single sign-on, request stored", "s-sso-2")

	c = completion("ghost", "s-ghost")
	c.Request = request("ghost", "nope")
	_, _, err = postgres.CompleteLoginOnce(s, ctx, c)
	noRows("unknown client", err)
	noSession("unknown client", "s-ghost")
	_, _, err = s.CompleteLogin(ctx, c)
	if !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("CompleteLogin for an unknown client: err = %v, want ErrNotFound", err)
	}
	noSession("CompleteLogin for an unknown client", "s-ghost")
	if _, err := s.GetAuthRequest(ctx, "ghost"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("CompleteLogin for an unknown client stored the request: %v", err)
	}
}

// TestOrphanedRowsNotFound leaves a request with a code and tokens whose
// client row is gone, as a login or token request racing DeleteClient
// can (no foreign key ties them to it), and checks that none of them can
// be used: the statements that read or spend them check the client.
func TestOrphanedRowsNotFound(t *testing.T) {
	s, now := oneStatementStore(t)
	ctx := t.Context()
	must := func(what string, err error) { t.Helper(); mustOK(t, what, err) }
	must("CreateAuthRequest", s.CreateAuthRequest(ctx, storage.AuthRequest{
		ID: "r1", ClientID: "c1", RedirectURI: "https://rp/cb", CreatedAt: now, ExpiresAt: now.Add(time.Hour),
	}))
	_, _, err := s.CompleteLogin(ctx, storage.LoginCompletion{
		AuthRequestID: "r1", Identity: &storage.Identity{CorpID: "corp-a", UserID: "u1"}, NewSubject: "sub-1",
		Session: session("s1", now), CodeHash: []byte("digest"), CodeExpiresAt: now.Add(time.Minute), Now: now,
	})
	must("CompleteLogin", err)
	token := func(id string) storage.TokenIssue {
		return storage.TokenIssue{
			Access: storage.AccessToken{ID: "at-" + id, ClientID: "c1", Subject: "sub-1", SessionID: "s1", FamilyID: "fam-" + id,
				CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
			Refresh: &storage.RefreshToken{ID: "rt-" + id, TokenHash: []byte("refresh-" + id), FamilyID: "fam-" + id,
				ClientID: "c1", Subject: "sub-1", SessionID: "s1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
			LinkSession: true,
		}
	}
	must("CreateTokens", s.CreateTokens(ctx, token("1")))

	n, err := postgres.Exec(s, `DELETE FROM clients WHERE id = 'c1'`)
	if err != nil || n != 1 {
		t.Fatalf("delete the client row alone: %d rows, %v", n, err)
	}
	for _, table := range []string{"auth_requests", "access_tokens", "refresh_tokens", "session_clients"} {
		n, err := postgres.Exec(s, `UPDATE `+table+` SET client_id = client_id WHERE client_id = 'c1'`)
		if err != nil || n != 1 {
			t.Fatalf("%s: %d rows of the deleted client, %v; want the orphan left in place", table, n, err)
		}
	}
	notFound := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("%s of a deleted client: err = %v, want ErrNotFound", what, err)
		}
	}
	notFound("RedeemAuthCode", s.RedeemAuthCode(ctx, []byte("digest"), now, token("2")))
	_, err = s.GetAccessToken(ctx, "at-1", now)
	notFound("GetAccessToken", err)
	_, err = s.GetAccessTokenUser(ctx, "at-1", now)
	notFound("GetAccessTokenUser", err)
	_, err = s.GetRefreshToken(ctx, []byte("refresh-1"), now)
	notFound("GetRefreshToken", err)
	notFound("RotateRefreshToken", s.RotateRefreshToken(ctx, []byte("refresh-1"), now, token("3")))
	n, err = postgres.Exec(s, `SELECT 1 FROM access_tokens WHERE id IN ('at-2', 'at-3')`)
	if err != nil || n != 0 {
		t.Fatalf("tokens issued for a deleted client: %d rows, %v", n, err)
	}
}

// TestAsyncCommitStaysInItsTransaction checks that the writes of a login
// before its code is redeemed commit with synchronous_commit off, each
// statement form of them, and that the setting stays in their
// transaction: the redemption that follows on the same pooled connection
// waits for its flush. A trigger records the setting each write of an
// authorization request ran with, from inside its transaction.
func TestAsyncCommitStaysInItsTransaction(t *testing.T) {
	url := postgrestest.URL(t)
	s, err := postgres.Open(t.Context(), url, postgres.Options{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	now := time.Now().UTC()
	before, err := postgres.SynchronousCommit(s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.Exec(s, `CREATE TABLE commit_modes (n serial, op text, id text, mode text)`); err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.Exec(s, `CREATE FUNCTION record_commit_mode() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			INSERT INTO commit_modes (op, id, mode) VALUES (TG_OP, NEW.id, current_setting('synchronous_commit'));
			RETURN NULL;
		END $$`); err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.Exec(s, `CREATE TRIGGER record_commit_mode AFTER INSERT OR UPDATE ON auth_requests
		FOR EACH ROW EXECUTE FUNCTION record_commit_mode()`); err != nil {
		t.Fatal(err)
	}
	modes := func() []string {
		t.Helper()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		rows, _ := conn.Query(ctx, `SELECT op || ' ' || id || ': ' || mode FROM commit_modes ORDER BY n`)
		got, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, `TRUNCATE commit_modes`); err != nil {
			t.Fatal(err)
		}
		return got
	}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	must("CreateClient", s.CreateClient(ctx, storage.Client{ID: "c1", RedirectURIs: []string{"https://rp/cb"}, CreatedAt: now, UpdatedAt: now}))
	stored := func(id string) {
		t.Helper()
		must("CreateAuthRequest "+id, s.CreateAuthRequest(ctx, storage.AuthRequest{ID: id, ClientID: "c1", RedirectURI: "https://rp/cb", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
	}
	pending := func(id string) *storage.AuthRequest {
		return &storage.AuthRequest{ID: id, ClientID: "c1", RedirectURI: "https://rp/cb", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	}
	complete := func(c storage.LoginCompletion) {
		t.Helper()
		c.Session, c.CodeHash, c.CodeExpiresAt, c.Now = session("s-"+c.AuthRequestID, now), []byte("digest-"+c.AuthRequestID), now.Add(time.Minute), now
		_, _, err := s.CompleteLogin(ctx, c)
		must("CompleteLogin "+c.AuthRequestID, err)
	}
	u1 := &storage.Identity{CorpID: "corp-a", UserID: "u1"}
	// The general path (a first login), stored and pending.
	stored("r1")
	complete(storage.LoginCompletion{AuthRequestID: "r1", Identity: u1, NewSubject: "sub-1"})
	complete(storage.LoginCompletion{AuthRequestID: "r2", Request: pending("r2"), Identity: &storage.Identity{CorpID: "corp-a", UserID: "u2"}, NewSubject: "sub-2"})
	// The one-statement forms: a returning person and a single sign-on,
	// each with a stored and a pending request.
	stored("r3")
	complete(storage.LoginCompletion{AuthRequestID: "r3", Identity: u1})
	complete(storage.LoginCompletion{AuthRequestID: "r4", Request: pending("r4"), Identity: u1})
	stored("r5")
	complete(storage.LoginCompletion{AuthRequestID: "r5", Subject: "sub-1"})
	complete(storage.LoginCompletion{AuthRequestID: "r6", Request: pending("r6"), Subject: "sub-1"})
	want := []string{
		"INSERT r1: off", "UPDATE r1: off", "INSERT r2: off",
		"INSERT r3: off", "UPDATE r3: off", "INSERT r4: off",
		"INSERT r5: off", "UPDATE r5: off", "INSERT r6: off",
	}
	if got := modes(); !reflect.DeepEqual(got, want) {
		t.Errorf("writes before the redemption ran with\n%q\nwant\n%q", got, want)
	}
	if err := s.CreateAuthRequest(ctx, storage.AuthRequest{ID: "r1", ClientID: "c1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); !errors.Is(err, storage.ErrAlreadyExists) {
		t.Fatalf("CreateAuthRequest with a taken ID: %v, want ErrAlreadyExists", err)
	}
	if err := s.CreateAuthRequest(ctx, storage.AuthRequest{ID: "r7", ClientID: "nope", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("CreateAuthRequest for an unknown client: %v, want ErrNotFound", err)
	}
	v, err := postgres.SynchronousCommit(s)
	if err != nil || v != before || v == "off" {
		t.Fatalf("synchronous_commit after the login's writes = %q (%v), want %q as before", v, err, before)
	}

	// The redemption, on the same and only connection, waits for its flush.
	must("RedeemAuthCode", s.RedeemAuthCode(ctx, []byte("digest-r3"), now, storage.TokenIssue{
		Access: storage.AccessToken{ID: "at-1", ClientID: "c1", Subject: "sub-1", SessionID: "s-r3", FamilyID: "fam-1",
			CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
	}))
	if got, want := modes(), []string{"UPDATE r3: " + before}; !reflect.DeepEqual(got, want) {
		t.Errorf("the redemption ran with %q, want %q", got, want)
	}
}
