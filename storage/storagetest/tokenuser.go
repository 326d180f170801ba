package storagetest

import (
	"errors"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

var accessTokenUserTests = []test{
	{"NoBindingNoSession", testTokenUserNoBinding},
	{"OneBindingLiveSession", testTokenUserOneBinding},
	{"TwoBindings", testTokenUserTwoBindings},
	{"SessionExpired", testTokenUserSessionExpired},
	{"SessionAbsent", testTokenUserSessionAbsent},
	{"TokenUnknownExpiredRevoked", testTokenUserTokenGone},
	{"NoUser", testTokenUserNoUser},
}

// separateReads is what GetAccessTokenUser must equal: the results of
// GetAccessToken, GetUser, ListBindings and GetSession, with the user's
// profile left zero when there are bindings.
func separateReads(t *testing.T, s storage.Storage, id string, now time.Time) storage.AccessTokenUser {
	t.Helper()
	ctx := t.Context()
	var (
		want storage.AccessTokenUser
		err  error
	)
	want.Token, err = s.GetAccessToken(ctx, id, now)
	must(t, "GetAccessToken", err)
	want.User, err = s.GetUser(ctx, want.Token.Subject)
	must(t, "GetUser", err)
	want.Bindings, err = s.ListBindings(ctx, want.Token.Subject)
	must(t, "ListBindings", err)
	if len(want.Bindings) > 0 {
		want.User.Profile = storage.Profile{}
	}
	if want.Token.SessionID != "" {
		sess, err := s.GetSession(ctx, want.Token.SessionID, now)
		switch {
		case err == nil:
			want.SessionFound, want.SessionCorpID = true, sess.CorpID
		case !errors.Is(err, storage.ErrNotFound):
			t.Fatalf("GetSession: %v", err)
		}
	}
	return want
}

// checkTokenUser reads token id with GetAccessTokenUser at now, compares
// it with the separate reads, and returns it.
func checkTokenUser(t *testing.T, s storage.Storage, id string, now time.Time) storage.AccessTokenUser {
	t.Helper()
	got, err := s.GetAccessTokenUser(t.Context(), id, now)
	must(t, "GetAccessTokenUser", err)
	same(t, "GetAccessTokenUser", got, separateReads(t, s, id, now))
	return got
}

// issueFor stores an access token for subject in session sessionID (none
// when empty) and returns it.
func issueFor(t *testing.T, s storage.Storage, id, subject, sessionID string, now time.Time) storage.AccessToken {
	t.Helper()
	at := newAccessToken(id, "c1", "", sessionID, now)
	at.Subject = subject
	must(t, "CreateTokens", s.CreateTokens(t.Context(), storage.TokenIssue{Access: at}))
	return at
}

func testTokenUserNoBinding(t *testing.T, s storage.Storage) {
	now := wallNow()
	createClient(t, s, "c1", now)
	u := storage.User{Subject: "sub-1", CreatedAt: local(now), UpdatedAt: local(now.Add(time.Second)), Profile: newProfile("ada")}
	must(t, "CreateUser", s.CreateUser(t.Context(), u))
	at := issueFor(t, s, "at-1", "sub-1", "", now)

	got := checkTokenUser(t, s, "at-1", now)
	same(t, "token", got.Token, at)
	same(t, "user", got.User, u)
	if len(got.Bindings) != 0 || got.SessionFound || got.SessionCorpID != "" {
		t.Errorf("bindings %v, session %v %q; want none", got.Bindings, got.SessionFound, got.SessionCorpID)
	}
}

func testTokenUserOneBinding(t *testing.T, s storage.Storage) {
	now := wallNow()
	createClient(t, s, "c1", now)
	loginAs(t, s, newIdentity("ding-corp-b", "uid-b", "union-1", "ada"), "sub-1", now)
	issueFor(t, s, "at-1", "sub-1", "sess-sub-1", now)

	got := checkTokenUser(t, s, "at-1", now)
	if len(got.Bindings) != 1 || got.Bindings[0].CorpID != "ding-corp-b" || got.Bindings[0].Profile.Name != "ada" {
		t.Errorf("bindings = %+v, want the ding-corp-b binding", got.Bindings)
	}
	if got.User.Subject != "sub-1" || got.User.CreatedAt.IsZero() || got.User.Profile.Name != "" {
		t.Errorf("user = %+v, want sub-1 without its profile", got.User)
	}
	if !got.SessionFound || got.SessionCorpID != "ding-corp-a" {
		t.Errorf("session = %v %q, want the live session of ding-corp-a", got.SessionFound, got.SessionCorpID)
	}
}

func testTokenUserTwoBindings(t *testing.T, s storage.Storage) {
	now := wallNow()
	createClient(t, s, "c1", now)
	loginAs(t, s, newIdentity("ding-corp-c", "uid-c", "union-1", "ada"), "sub-1", now)
	loginAs(t, s, newIdentity("ding-corp-a", "uid-a", "union-1", "ada-a"), "sub-1", now.Add(time.Minute))
	loginAs(t, s, newIdentity("ding-corp-a", "uid-z", "union-2", "zed"), "sub-2", now)
	issueFor(t, s, "at-1", "sub-1", "sess-sub-1", now)

	got := checkTokenUser(t, s, "at-1", now)
	var corps []string
	for _, b := range got.Bindings {
		corps = append(corps, b.CorpID)
	}
	same(t, "binding corps", corps, []string{"ding-corp-a", "ding-corp-c"})
	if !got.SessionFound || got.SessionCorpID != "ding-corp-a" {
		t.Errorf("session = %v %q, want the live session of ding-corp-a", got.SessionFound, got.SessionCorpID)
	}
}

func testTokenUserSessionExpired(t *testing.T, s storage.Storage) {
	now := wallNow()
	createClient(t, s, "c1", now)
	loginAs(t, s, newIdentity("ding-corp-a", "uid-a", "union-1", "ada"), "sub-1", now) // session lives 8h
	at := newAccessToken("at-1", "c1", "", "sess-sub-1", now)
	at.ExpiresAt = local(now.Add(10 * time.Hour))
	must(t, "CreateTokens", s.CreateTokens(t.Context(), storage.TokenIssue{Access: at}))

	got := checkTokenUser(t, s, "at-1", now.Add(9*time.Hour))
	if got.SessionFound || got.SessionCorpID != "" {
		t.Errorf("session = %v %q after it expired, want none", got.SessionFound, got.SessionCorpID)
	}
	if len(got.Bindings) != 1 {
		t.Errorf("bindings = %d, want 1", len(got.Bindings))
	}
}

func testTokenUserSessionAbsent(t *testing.T, s storage.Storage) {
	now := wallNow()
	createClient(t, s, "c1", now)
	loginAs(t, s, newIdentity("ding-corp-a", "uid-a", "union-1", "ada"), "sub-1", now)
	issueFor(t, s, "at-1", "sub-1", "sess-sub-1", now)
	issueFor(t, s, "at-2", "sub-1", "sess-never", now)
	must(t, "DeleteSession", s.DeleteSession(t.Context(), "sess-sub-1"))

	for _, id := range []string{"at-1", "at-2"} {
		got := checkTokenUser(t, s, id, now)
		if got.SessionFound || got.SessionCorpID != "" {
			t.Errorf("%s: session = %v %q, want none", id, got.SessionFound, got.SessionCorpID)
		}
	}
}

func testTokenUserTokenGone(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	createClient(t, s, "c1", now)
	loginAs(t, s, newIdentity("ding-corp-a", "uid-a", "union-1", "ada"), "sub-1", now)
	issueFor(t, s, "at-1", "sub-1", "sess-sub-1", now)
	issueFor(t, s, "at-2", "sub-1", "sess-sub-1", now)
	checkTokenUser(t, s, "at-1", now.Add(59*time.Minute))

	_, err := s.GetAccessTokenUser(ctx, "nope", now)
	wantErr(t, "GetAccessTokenUser unknown", err, storage.ErrNotFound)
	_, err = s.GetAccessTokenUser(ctx, "at-1", now.Add(time.Hour+time.Second))
	wantErr(t, "GetAccessTokenUser expired", err, storage.ErrNotFound)
	must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, "at-2"))
	_, err = s.GetAccessTokenUser(ctx, "at-2", now)
	wantErr(t, "GetAccessTokenUser revoked", err, storage.ErrNotFound)
	must(t, "RevokeSessionTokens", s.RevokeSessionTokens(ctx, "sess-sub-1"))
	_, err = s.GetAccessTokenUser(ctx, "at-1", now)
	wantErr(t, "GetAccessTokenUser after its session's tokens were revoked", err, storage.ErrNotFound)
}

// testTokenUserNoUser covers tokens whose subject names no user: client
// credentials tokens, and tokens of a user who is gone. The storage
// contract has no way to delete a user, so a token for a subject never
// stored stands for both.
func testTokenUserNoUser(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	createClient(t, s, "c1", now)
	loginAs(t, s, newIdentity("ding-corp-a", "uid-a", "union-1", "ada"), "sub-1", now)
	issueFor(t, s, "at-cc", "c1", "", now)
	issueFor(t, s, "at-gone", "sub-gone", "sess-sub-1", now)
	for _, id := range []string{"at-cc", "at-gone"} {
		_, err := s.GetAccessToken(ctx, id, now)
		must(t, "GetAccessToken", err)
		_, err = s.GetAccessTokenUser(ctx, id, now)
		wantErr(t, "GetAccessTokenUser of "+id, err, storage.ErrNotFound)
	}
}
