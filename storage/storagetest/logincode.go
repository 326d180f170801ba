package storagetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

// Completions that issue a code: the one-statement path of a returning
// person and of single sign-on, refused completions that must write
// nothing, concurrent completions of one request, and the user's
// UpdatedAt across logins.

// returningLogin completes the request id for the person login(…,
// "sub-1", …) created: a returning person known by corp and user id. It
// carries the digest of code.
func returningLogin(id, sessionID, code string, now time.Time) storage.LoginCompletion {
	return storage.LoginCompletion{
		AuthRequestID: id,
		Identity:      newIdentity("ding-corp-a", "uid-sub-1", "union-sub-1", "again"),
		NewSubject:    "sub-unused",
		Session:       newSession(sessionID, now),
		AuthTime:      local(now),
		AMR:           []string{"qr"},
		CodeHash:      hash(code),
		CodeExpiresAt: local(now.Add(time.Minute)),
		Now:           local(now),
	}
}

// checkCompleted checks that CompleteLogin's returned request is the
// stored one, done for subject and session, holding the code.
func checkCompleted(t *testing.T, s storage.Storage, returned storage.AuthRequest, c storage.LoginCompletion, subject, code string) {
	t.Helper()
	ctx := t.Context()
	stored, err := s.GetAuthRequest(ctx, c.AuthRequestID)
	must(t, "GetAuthRequest", err)
	same(t, "returned request", returned, stored)
	if !stored.Done || stored.Subject != subject || stored.SessionID != c.Session.ID {
		t.Errorf("request Done=%v Subject=%q SessionID=%q, want true %s %s", stored.Done, stored.Subject, stored.SessionID, subject, c.Session.ID)
	}
	same(t, "request AuthTime", stored.AuthTime, c.AuthTime)
	same(t, "request AMR", stored.AMR, c.AMR)
	same(t, "request CodeExpiresAt", stored.CodeExpiresAt, c.CodeExpiresAt)
	byCode, err := s.GetAuthRequestByCode(ctx, hash(code), c.Now)
	must(t, "GetAuthRequestByCode", err)
	same(t, "request by code", byCode, stored)
	sess, err := s.GetSession(ctx, c.Session.ID, c.Now)
	must(t, "GetSession", err)
	want := c.Session
	want.Subject = subject
	same(t, "session", sess, want)
}

func testLoginReturningIssuesCode(t *testing.T, s storage.Storage) {
	returningIssuesCode(t, s, false)
}

// returningIssuesCode completes a returning person's login with a code,
// of a stored request or, pending, of one CompleteLogin inserts.
func returningIssuesCode(t *testing.T, s storage.Storage, pending bool) {
	ctx := t.Context()
	now := wallNow()
	first := login(t, s, "", "sub-1", "sess-1", now.Add(-time.Hour))
	createClient(t, s, "c1", now)
	c := returningLogin("req-1", "sess-2", "code-1", now)
	if pending {
		c = withPending(c, newAuthRequest("req-1", "c1", now))
	} else {
		createAuthRequest(t, s, "req-1", "c1", now)
	}
	user, req, err := s.CompleteLogin(ctx, c)
	must(t, "CompleteLogin", err)
	same(t, "user", user, storage.User{Subject: "sub-1", Profile: c.Identity.Profile, CreatedAt: first.Now, UpdatedAt: c.Now})
	if pending {
		checkPendingCompleted(t, s, req, c, "sub-1", "code-1")
	} else {
		checkCompleted(t, s, req, c, "sub-1", "code-1")
	}
	bindings, err := s.ListBindings(ctx, "sub-1")
	must(t, "ListBindings", err)
	if len(bindings) != 1 {
		t.Fatalf("ListBindings = %+v, want one binding", bindings)
	}
	same(t, "binding profile", bindings[0].Profile, c.Identity.Profile)
	same(t, "binding LastLoginAt", bindings[0].LastLoginAt, c.Now)
	_, err = s.GetUser(ctx, "sub-unused")
	wantErr(t, "GetUser NewSubject", err, storage.ErrNotFound)
}

func testLoginSubjectIssuesCode(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	login(t, s, "", "sub-1", "sess-1", now)
	createClient(t, s, "c1", now)
	createAuthRequest(t, s, "req-1", "c1", now)
	sess, err := s.GetSession(ctx, "sess-1", now)
	must(t, "GetSession", err)
	c := storage.LoginCompletion{
		AuthRequestID: "req-1", Subject: "sub-1", Session: sess, AuthTime: sess.AuthTime, AMR: sess.AMR,
		CodeHash: hash("code-1"), CodeExpiresAt: local(now.Add(time.Minute)), Now: local(now),
	}
	user, req, err := s.CompleteLogin(ctx, c)
	must(t, "CompleteLogin", err)
	if user.Subject != "sub-1" {
		t.Errorf("returned subject = %q, want sub-1", user.Subject)
	}
	checkCompleted(t, s, req, c, "sub-1", "code-1")
}

// testLoginReturningDoneRequest is testLoginDoneRequest for a returning
// person: the second completion writes nothing, not even the login time.
func testLoginReturningDoneRequest(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	login(t, s, "", "sub-1", "sess-1", now.Add(-time.Hour))
	createClient(t, s, "c1", now)
	createAuthRequest(t, s, "req-1", "c1", now)
	_, _, err := s.CompleteLogin(ctx, returningLogin("req-1", "sess-2", "code-1", now))
	must(t, "first CompleteLogin", err)
	before, err := s.ListBindings(ctx, "sub-1")
	must(t, "ListBindings", err)

	_, _, err = s.CompleteLogin(ctx, returningLogin("req-1", "sess-3", "code-2", now.Add(time.Second)))
	wantErr(t, "CompleteLogin of a done request", err, storage.ErrNotFound)
	_, err = s.GetSession(ctx, "sess-3", now)
	wantErr(t, "GetSession of the refused login", err, storage.ErrNotFound)
	_, err = s.GetAuthRequestByCode(ctx, hash("code-2"), now)
	wantErr(t, "GetAuthRequestByCode of the refused login", err, storage.ErrNotFound)
	_, err = s.GetAuthRequestByCode(ctx, hash("code-1"), now)
	must(t, "GetAuthRequestByCode of the first login", err)
	after, err := s.ListBindings(ctx, "sub-1")
	must(t, "ListBindings", err)
	same(t, "bindings after the refused login", after, before)
}

func testLoginSubjectDoneRequest(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	login(t, s, "", "sub-1", "sess-1", now)
	createClient(t, s, "c1", now)
	createAuthRequest(t, s, "req-1", "c1", now)
	c := storage.LoginCompletion{AuthRequestID: "req-1", Subject: "sub-1", Session: newSession("sess-2", now), Now: local(now)}
	_, _, err := s.CompleteLogin(ctx, c)
	must(t, "first CompleteLogin", err)
	c.Session = newSession("sess-3", now)
	_, _, err = s.CompleteLogin(ctx, c)
	wantErr(t, "CompleteLogin of a done request", err, storage.ErrNotFound)
	_, err = s.GetSession(ctx, "sess-3", now)
	wantErr(t, "GetSession of the refused login", err, storage.ErrNotFound)
}

func testLoginReturningExpiredRequest(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	login(t, s, "", "sub-1", "sess-1", now.Add(-time.Hour))
	createClient(t, s, "c1", now)
	createAuthRequest(t, s, "old", "c1", now.Add(-time.Hour))
	_, _, err := s.CompleteLogin(ctx, returningLogin("old", "sess-2", "code-1", now))
	wantErr(t, "CompleteLogin of an expired request", err, storage.ErrNotFound)
	_, err = s.GetSession(ctx, "sess-2", now)
	wantErr(t, "GetSession of the refused login", err, storage.ErrNotFound)
}

// testLoginConcurrent completes one request from many goroutines at once
// (a person's login and, say, a replayed callback): exactly one wins, and
// only its session and code exist.
func testLoginConcurrent(t *testing.T, s storage.Storage) {
	const n = 16
	ctx := t.Context()
	now := wallNow()
	login(t, s, "", "sub-1", "sess-1", now.Add(-time.Hour))
	createClient(t, s, "c1", now)
	createAuthRequest(t, s, "req-1", "c1", now)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			c := returningLogin("req-1", fmt.Sprintf("sess-c%d", i), fmt.Sprintf("code-%d", i), now)
			if i%2 == 1 {
				c.Identity, c.Subject = nil, "sub-1"
			}
			_, _, errs[i] = s.CompleteLogin(ctx, c)
		})
	}
	close(start)
	wg.Wait()
	winners := 0
	for i, err := range errs {
		_, sessErr := s.GetSession(ctx, fmt.Sprintf("sess-c%d", i), now)
		_, codeErr := s.GetAuthRequestByCode(ctx, hash(fmt.Sprintf("code-%d", i)), now)
		if err == nil {
			winners++
			must(t, "GetSession of the winner", sessErr)
			must(t, "GetAuthRequestByCode of the winner", codeErr)
			continue
		}
		wantErr(t, fmt.Sprintf("CompleteLogin #%d", i), err, storage.ErrNotFound)
		wantErr(t, fmt.Sprintf("GetSession of loser #%d", i), sessErr, storage.ErrNotFound)
		wantErr(t, fmt.Sprintf("GetAuthRequestByCode of loser #%d", i), codeErr, storage.ErrNotFound)
	}
	if winners != 1 {
		t.Errorf("%d of %d concurrent completions succeeded, want exactly 1", winners, n)
	}
}

// testLoginUnchangedProfile logs the same person in again with the same
// profile, with and without an authorization request: the user's
// UpdatedAt stays; a changed profile moves it.
func testLoginUnchangedProfile(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	first := login(t, s, "", "sub-1", "sess-1", now.Add(-2*time.Hour))
	createClient(t, s, "c1", now)

	again := func(reqID, sessionID string, at time.Time, name string) storage.User {
		t.Helper()
		c := storage.LoginCompletion{
			AuthRequestID: reqID,
			Identity:      newIdentity("ding-corp-a", "uid-sub-1", "union-sub-1", name),
			NewSubject:    "sub-unused",
			Session:       newSession(sessionID, at),
			Now:           local(at),
		}
		if reqID != "" {
			createAuthRequest(t, s, reqID, "c1", at)
			c.CodeHash, c.CodeExpiresAt = hash("code-"+reqID), local(at.Add(time.Minute))
		}
		u, _, err := s.CompleteLogin(ctx, c)
		must(t, "CompleteLogin", err)
		stored, err := s.GetUser(ctx, "sub-1")
		must(t, "GetUser", err)
		same(t, "returned user", u, stored)
		return u
	}
	u := again("req-1", "sess-2", now.Add(-time.Hour), "sub-1")
	same(t, "profile", u.Profile, first.Identity.Profile)
	same(t, "UpdatedAt after an unchanged login with a request", u.UpdatedAt, first.Now)
	u = again("", "sess-3", now.Add(-30*time.Minute), "sub-1")
	same(t, "UpdatedAt after an unchanged login without a request", u.UpdatedAt, first.Now)
	u = again("req-2", "sess-4", now, "renamed")
	same(t, "profile after a change", u.Profile, newProfile("renamed"))
	same(t, "UpdatedAt after a change", u.UpdatedAt, local(now))
	bindings, err := s.ListBindings(ctx, "sub-1")
	must(t, "ListBindings", err)
	same(t, "binding LastLoginAt", bindings[0].LastLoginAt, local(now))
}
