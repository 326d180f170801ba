package storagetest

import (
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

var loginTests = []test{
	{"MarksRequestDoneCreatesUserSession", testLoginNewIdentity},
	{"SameIdentityAgain", testLoginSameIdentity},
	{"UnionIDInSecondCorp", testLoginSecondCorp},
	{"UnionIDOnly", testLoginUnionOnly},
	{"SubjectOnly", testLoginSubjectOnly},
	{"SubjectOnlyUnknownUser", testLoginSubjectUnknown},
	{"WithoutAuthRequest", testLoginWithoutRequest},
	{"UnknownAuthRequest", testLoginUnknownRequest},
	{"ExpiredAuthRequest", testLoginExpiredRequest},
	{"DoneAuthRequestCompletesOnce", testLoginDoneRequest},
	{"ReplacesSession", testLoginReplacesSession},
	{"ReturningPersonIssuesCode", testLoginReturningIssuesCode},
	{"SubjectOnlyIssuesCode", testLoginSubjectIssuesCode},
	{"ReturningPersonDoneRequest", testLoginReturningDoneRequest},
	{"SubjectOnlyDoneRequest", testLoginSubjectDoneRequest},
	{"ReturningPersonExpiredRequest", testLoginReturningExpiredRequest},
	{"ConcurrentCompletionsOneWins", testLoginConcurrent},
	{"UnchangedProfileKeepsUpdatedAt", testLoginUnchangedProfile},
	{"PendingFirstLoginInsertsDone", testLoginPendingFirst},
	{"PendingReturningPerson", testLoginPendingReturning},
	{"PendingSubjectOnly", testLoginPendingSubject},
	{"PendingCompletesOnce", testLoginPendingOnce},
	{"PendingBlockedByStoredRequest", testLoginPendingStoredBlocks},
	{"PendingExpiredRequest", testLoginPendingExpired},
	{"PendingUnknownClient", testLoginPendingUnknownClient},
	{"PendingMismatchedID", testLoginPendingMismatchedID},
	{"PendingConcurrentCompletionsOneWins", testLoginPendingConcurrent},
	{"PendingConcurrentFirstLoginsOneWins", testLoginPendingConcurrentFirst},
}

func testLoginNewIdentity(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	createClient(t, s, "c1", now)
	req := createAuthRequest(t, s, "req-1", "c1", now)
	c := login(t, s, "req-1", "sub-1", "sess-1", now)

	got, err := s.GetAuthRequest(ctx, "req-1")
	must(t, "GetAuthRequest", err)
	want := req
	want.Done = true
	want.Subject = "sub-1"
	want.SessionID = "sess-1"
	want.AuthTime = c.AuthTime
	want.AMR = c.AMR
	same(t, "completed request", got, want)

	user, err := s.GetUser(ctx, "sub-1")
	must(t, "GetUser", err)
	same(t, "user", user, storage.User{Subject: "sub-1", CreatedAt: c.Now, UpdatedAt: c.Now, Profile: c.Identity.Profile})

	sess, err := s.GetSession(ctx, "sess-1", now)
	must(t, "GetSession", err)
	wantSess := c.Session
	wantSess.Subject = "sub-1"
	same(t, "session", sess, wantSess)

	bindings, err := s.ListBindings(ctx, "sub-1")
	must(t, "ListBindings", err)
	same(t, "bindings", bindings, []storage.Binding{{
		CorpID: "ding-corp-a", UserID: "uid-sub-1", UnionID: "union-sub-1", Subject: "sub-1",
		Profile: c.Identity.Profile, CreatedAt: c.Now, UpdatedAt: c.Now, LastLoginAt: c.Now,
	}})
}

func testLoginSameIdentity(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	first := login(t, s, "", "sub-1", "sess-1", now)

	later := now.Add(time.Hour)
	id := newIdentity("ding-corp-a", "uid-sub-1", "union-sub-1", "renamed")
	c := storage.LoginCompletion{Identity: id, NewSubject: "sub-unused", Session: newSession("sess-2", later), Now: local(later)}
	user, _, err := s.CompleteLogin(ctx, c)
	must(t, "CompleteLogin again", err)
	if user.Subject != "sub-1" {
		t.Fatalf("second login subject = %q, want sub-1", user.Subject)
	}
	same(t, "returned profile", user.Profile, id.Profile)
	stored, err := s.GetUser(ctx, "sub-1")
	must(t, "GetUser", err)
	same(t, "stored profile", stored.Profile, id.Profile)
	same(t, "user CreatedAt", stored.CreatedAt, first.Now)
	_, err = s.GetUser(ctx, "sub-unused")
	wantErr(t, "GetUser NewSubject", err, storage.ErrNotFound)

	bindings, err := s.ListBindings(ctx, "sub-1")
	must(t, "ListBindings", err)
	if len(bindings) != 1 {
		t.Fatalf("ListBindings = %d bindings, want 1", len(bindings))
	}
	same(t, "binding profile", bindings[0].Profile, id.Profile)
	same(t, "binding CreatedAt", bindings[0].CreatedAt, first.Now)
	same(t, "binding LastLoginAt", bindings[0].LastLoginAt, c.Now)
	sess, err := s.GetSession(ctx, "sess-2", later)
	must(t, "GetSession", err)
	if sess.Subject != "sub-1" {
		t.Errorf("session subject = %q, want sub-1", sess.Subject)
	}
}

func testLoginSecondCorp(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	login(t, s, "", "sub-1", "sess-1", now) // ding-corp-a / uid-sub-1 / union-sub-1

	later := now.Add(time.Hour)
	id := newIdentity("ding-corp-b", "uid-in-b", "union-sub-1", "in-b")
	c := storage.LoginCompletion{Identity: id, NewSubject: "sub-2", Session: newSession("sess-2", later), Now: local(later)}
	user, _, err := s.CompleteLogin(ctx, c)
	must(t, "CompleteLogin in second corp", err)
	if user.Subject != "sub-1" {
		t.Errorf("second corp subject = %q, want sub-1 (same UnionID)", user.Subject)
	}
	_, err = s.GetUser(ctx, "sub-2")
	wantErr(t, "GetUser NewSubject", err, storage.ErrNotFound)

	bindings, err := s.ListBindings(ctx, "sub-1")
	must(t, "ListBindings", err)
	if len(bindings) != 2 {
		t.Fatalf("ListBindings = %+v, want two bindings", bindings)
	}
	if bindings[0].CorpID != "ding-corp-a" || bindings[0].UserID != "uid-sub-1" {
		t.Errorf("first binding = %s/%s, want ding-corp-a/uid-sub-1", bindings[0].CorpID, bindings[0].UserID)
	}
	same(t, "second binding", bindings[1], storage.Binding{
		CorpID: "ding-corp-b", UserID: "uid-in-b", UnionID: "union-sub-1", Subject: "sub-1",
		Profile: id.Profile, CreatedAt: c.Now, UpdatedAt: c.Now, LastLoginAt: c.Now,
	})
	b, err := s.FindBinding(ctx, storage.Identity{CorpID: "ding-corp-b", UserID: "uid-in-b"})
	must(t, "FindBinding", err)
	if b.Subject != "sub-1" {
		t.Errorf("FindBinding subject = %q, want sub-1", b.Subject)
	}
}

func testLoginUnionOnly(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	login(t, s, "", "sub-1", "sess-1", now)

	later := now.Add(time.Hour)
	id := &storage.Identity{UnionID: "union-sub-1", Profile: newProfile("union-only")}
	c := storage.LoginCompletion{Identity: id, NewSubject: "sub-2", Session: newSession("sess-2", later), Now: local(later)}
	user, _, err := s.CompleteLogin(ctx, c)
	must(t, "CompleteLogin by UnionID", err)
	if user.Subject != "sub-1" {
		t.Errorf("UnionID-only subject = %q, want sub-1", user.Subject)
	}
	_, err = s.GetUser(ctx, "sub-2")
	wantErr(t, "GetUser NewSubject", err, storage.ErrNotFound)
	bindings, err := s.ListBindings(ctx, "sub-1")
	must(t, "ListBindings", err)
	if len(bindings) != 1 {
		t.Fatalf("ListBindings = %d bindings, want the existing one", len(bindings))
	}
	b := bindings[0]
	if b.CorpID != "ding-corp-a" || b.UserID != "uid-sub-1" || b.UnionID != "union-sub-1" {
		t.Errorf("binding ids = %s/%s/%s, want the existing ids kept", b.CorpID, b.UserID, b.UnionID)
	}
	same(t, "binding profile", b.Profile, id.Profile)
	same(t, "binding LastLoginAt", b.LastLoginAt, c.Now)
}

func testLoginSubjectOnly(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	u := storage.User{Subject: "sub-x", CreatedAt: local(now), UpdatedAt: local(now), Profile: newProfile("x")}
	must(t, "CreateUser", s.CreateUser(ctx, u))
	createClient(t, s, "c1", now)
	createAuthRequest(t, s, "req-1", "c1", now)
	c := storage.LoginCompletion{AuthRequestID: "req-1", Subject: "sub-x", Session: newSession("sess-1", now), AuthTime: local(now), AMR: []string{"sso"}, Now: local(now)}
	user, _, err := s.CompleteLogin(ctx, c)
	must(t, "CompleteLogin", err)
	if user.Subject != "sub-x" {
		t.Errorf("returned subject = %q, want sub-x", user.Subject)
	}
	same(t, "returned profile", user.Profile, u.Profile)
	req, err := s.GetAuthRequest(ctx, "req-1")
	must(t, "GetAuthRequest", err)
	if !req.Done || req.Subject != "sub-x" || req.SessionID != "sess-1" {
		t.Errorf("request Done=%v Subject=%q SessionID=%q, want true sub-x sess-1", req.Done, req.Subject, req.SessionID)
	}
	sess, err := s.GetSession(ctx, "sess-1", now)
	must(t, "GetSession", err)
	if sess.Subject != "sub-x" {
		t.Errorf("session subject = %q, want sub-x", sess.Subject)
	}
}

func testLoginSubjectUnknown(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	createClient(t, s, "c1", now)
	createAuthRequest(t, s, "req-1", "c1", now)
	c := storage.LoginCompletion{AuthRequestID: "req-1", Subject: "ghost", Session: newSession("sess-1", now), Now: local(now)}
	_, _, err := s.CompleteLogin(ctx, c)
	wantErr(t, "CompleteLogin unknown subject", err, storage.ErrNotFound)
	_, err = s.GetSession(ctx, "sess-1", now)
	wantErr(t, "GetSession", err, storage.ErrNotFound)
	req, err := s.GetAuthRequest(ctx, "req-1")
	must(t, "GetAuthRequest", err)
	if req.Done {
		t.Error("request marked done by a failed login")
	}
}

func testLoginWithoutRequest(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	c := login(t, s, "", "sub-1", "sess-1", now)
	_, err := s.GetUser(ctx, "sub-1")
	must(t, "GetUser", err)
	sess, err := s.GetSession(ctx, "sess-1", now)
	must(t, "GetSession", err)
	wantSess := c.Session
	wantSess.Subject = "sub-1"
	same(t, "session", sess, wantSess)
}

// assertNothingWritten checks that a refused login for sub-1/sess-1 left
// no user, binding or session behind.
func assertNothingWritten(t *testing.T, s storage.Storage, now time.Time) {
	t.Helper()
	ctx := t.Context()
	_, err := s.GetUser(ctx, "sub-1")
	wantErr(t, "GetUser", err, storage.ErrNotFound)
	_, err = s.FindBinding(ctx, storage.Identity{CorpID: "ding-corp-a", UserID: "uid-sub-1"})
	wantErr(t, "FindBinding", err, storage.ErrNotFound)
	_, err = s.FindBinding(ctx, storage.Identity{UnionID: "union-sub-1"})
	wantErr(t, "FindBinding by UnionID", err, storage.ErrNotFound)
	_, err = s.GetSession(ctx, "sess-1", now)
	wantErr(t, "GetSession", err, storage.ErrNotFound)
}

func testLoginUnknownRequest(t *testing.T, s storage.Storage) {
	now := wallNow()
	c := storage.LoginCompletion{
		AuthRequestID: "nope", Identity: newIdentity("ding-corp-a", "uid-sub-1", "union-sub-1", "x"),
		NewSubject: "sub-1", Session: newSession("sess-1", now), Now: local(now),
	}
	_, _, err := s.CompleteLogin(t.Context(), c)
	wantErr(t, "CompleteLogin unknown request", err, storage.ErrNotFound)
	assertNothingWritten(t, s, now)
}

func testLoginExpiredRequest(t *testing.T, s storage.Storage) {
	now := wallNow()
	createClient(t, s, "c1", now)
	createAuthRequest(t, s, "old", "c1", now.Add(-time.Hour))
	c := storage.LoginCompletion{
		AuthRequestID: "old", Identity: newIdentity("ding-corp-a", "uid-sub-1", "union-sub-1", "x"),
		NewSubject: "sub-1", Session: newSession("sess-1", now), Now: local(now),
	}
	_, _, err := s.CompleteLogin(t.Context(), c)
	wantErr(t, "CompleteLogin expired request", err, storage.ErrNotFound)
	assertNothingWritten(t, s, now)
}

// testLoginDoneRequest checks that a completed request cannot be completed
// again: a second login must not rebind its subject and session (a code
// already issued for it would then redeem for another person).
func testLoginDoneRequest(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	createClient(t, s, "c1", now)
	createAuthRequest(t, s, "req-1", "c1", now)
	login(t, s, "req-1", "sub-1", "sess-1", now)
	c := storage.LoginCompletion{
		AuthRequestID: "req-1", Identity: newIdentity("ding-corp-a", "uid-sub-2", "union-sub-2", "y"),
		NewSubject: "sub-2", Session: newSession("sess-2", now), Now: local(now),
	}
	_, _, err := s.CompleteLogin(ctx, c)
	wantErr(t, "CompleteLogin of a done request", err, storage.ErrNotFound)
	got, err := s.GetAuthRequest(ctx, "req-1")
	must(t, "GetAuthRequest", err)
	if got.Subject != "sub-1" || got.SessionID != "sess-1" {
		t.Errorf("request after a second completion: subject %q session %q, want sub-1 sess-1", got.Subject, got.SessionID)
	}
	_, err = s.GetUser(ctx, "sub-2")
	wantErr(t, "GetUser of the refused login", err, storage.ErrNotFound)
	_, err = s.GetSession(ctx, "sess-2", now)
	wantErr(t, "GetSession of the refused login", err, storage.ErrNotFound)
}

func testLoginReplacesSession(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	login(t, s, "", "sub-1", "sess-1", now)
	later := now.Add(time.Hour)
	sess := newSession("sess-1", later)
	sess.AMR = []string{"dingtalk", "otp"}
	sess.CorpID = "ding-corp-b"
	c := storage.LoginCompletion{Subject: "sub-1", Session: sess, Now: local(later)}
	_, _, err := s.CompleteLogin(ctx, c)
	must(t, "CompleteLogin replacing session", err)
	got, err := s.GetSession(ctx, "sess-1", later)
	must(t, "GetSession", err)
	want := sess
	want.Subject = "sub-1"
	same(t, "replaced session", got, want)
}
