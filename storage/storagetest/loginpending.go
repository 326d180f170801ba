package storagetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

// Completions of a pending request (LoginCompletion.Request): a request
// never stored, inserted done by CompleteLogin, for a first login, a
// returning person and single sign-on; the refusals that write nothing
// (a request with its ID stored, expired, of a client that does not
// exist, a mismatched AuthRequestID); concurrent completions of one
// pending request.

// withPending makes c complete the pending request r instead of a stored
// one.
func withPending(c storage.LoginCompletion, r storage.AuthRequest) storage.LoginCompletion {
	c.AuthRequestID, c.Request = r.ID, &r
	return c
}

// firstLogin completes the pending request r for a new person, sub-1
// (ding-corp-a / uid-sub-1 / union-sub-1), in session sessionID, issuing
// code.
func firstLogin(r storage.AuthRequest, sessionID, code string, now time.Time) storage.LoginCompletion {
	return withPending(storage.LoginCompletion{
		Identity:      newIdentity("ding-corp-a", "uid-sub-1", "union-sub-1", "sub-1"),
		NewSubject:    "sub-1",
		Session:       newSession(sessionID, now),
		AuthTime:      local(now.Add(-time.Minute)),
		AMR:           []string{"dingtalk"},
		CodeHash:      hash(code),
		CodeExpiresAt: local(now.Add(time.Minute)),
		Now:           local(now),
	}, r)
}

// ssoLogin completes the pending request r for the existing user sub-1
// (single sign-on) in session sessionID, issuing code.
func ssoLogin(r storage.AuthRequest, sessionID, code string, now time.Time) storage.LoginCompletion {
	return withPending(storage.LoginCompletion{
		Subject:       "sub-1",
		Session:       newSession(sessionID, now),
		AuthTime:      local(now.Add(-time.Minute)),
		AMR:           []string{"sso"},
		CodeHash:      hash(code),
		CodeExpiresAt: local(now.Add(time.Minute)),
		Now:           local(now),
	}, r)
}

// checkPendingCompleted is checkCompleted for a pending request: the
// stored request is c.Request with the completion's fields.
func checkPendingCompleted(t *testing.T, s storage.Storage, returned storage.AuthRequest, c storage.LoginCompletion, subject, code string) {
	t.Helper()
	checkCompleted(t, s, returned, c, subject, code)
	want := *c.Request
	want.Done, want.Subject, want.SessionID = true, subject, c.Session.ID
	want.AuthTime, want.AMR = c.AuthTime, c.AMR
	want.CodeHash, want.CodeExpiresAt = c.CodeHash, c.CodeExpiresAt
	same(t, "inserted request", returned, want)
}

// loginState is what a refused completion must leave as it was.
type loginState struct {
	User     storage.User
	Bindings []storage.Binding
}

// stateOf reads the state of user sub-1.
func stateOf(t *testing.T, s storage.Storage) loginState {
	t.Helper()
	u, err := s.GetUser(t.Context(), "sub-1")
	must(t, "GetUser", err)
	b, err := s.ListBindings(t.Context(), "sub-1")
	must(t, "ListBindings", err)
	return loginState{u, b}
}

// refused checks that c was refused with ErrNotFound and wrote no
// session, no code and no change to user sub-1 (whose state before was
// before).
func refused(t *testing.T, s storage.Storage, what string, c storage.LoginCompletion, before loginState) {
	t.Helper()
	ctx := t.Context()
	_, _, err := s.CompleteLogin(ctx, c)
	wantErr(t, what, err, storage.ErrNotFound)
	_, err = s.GetSession(ctx, c.Session.ID, c.Now)
	wantErr(t, what+": GetSession", err, storage.ErrNotFound)
	if c.CodeHash != nil {
		_, err = s.GetAuthRequestByCode(ctx, c.CodeHash, c.Now)
		wantErr(t, what+": GetAuthRequestByCode", err, storage.ErrNotFound)
	}
	same(t, what+": user and bindings", stateOf(t, s), before)
}

func testLoginPendingFirst(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	createClient(t, s, "c1", now)
	c := firstLogin(newAuthRequest("req-1", "c1", now), "sess-1", "code-1", now)
	user, req, err := s.CompleteLogin(ctx, c)
	must(t, "CompleteLogin", err)
	same(t, "user", user, storage.User{Subject: "sub-1", CreatedAt: c.Now, UpdatedAt: c.Now, Profile: c.Identity.Profile})
	checkPendingCompleted(t, s, req, c, "sub-1", "code-1")
	bindings, err := s.ListBindings(ctx, "sub-1")
	must(t, "ListBindings", err)
	same(t, "bindings", bindings, []storage.Binding{{
		CorpID: "ding-corp-a", UserID: "uid-sub-1", UnionID: "union-sub-1", Subject: "sub-1",
		Profile: c.Identity.Profile, CreatedAt: c.Now, UpdatedAt: c.Now, LastLoginAt: c.Now,
	}})

	// The code redeems like that of a stored request.
	issue := storage.TokenIssue{
		Access:  newAccessToken("at-1", "c1", "fam-1", "sess-1", now),
		Refresh: newRefreshToken("rt-1", "fam-1", "c1", "sess-1", now),
	}
	must(t, "RedeemAuthCode", s.RedeemAuthCode(ctx, hash("code-1"), now, issue))
	at, err := s.GetAccessToken(ctx, "at-1", now)
	must(t, "GetAccessToken", err)
	same(t, "GetAccessToken", at, issue.Access)
	spentRequest(t, s, "req-1")
	err = s.RedeemAuthCode(ctx, hash("code-1"), now, storage.TokenIssue{Access: newAccessToken("at-2", "c1", "", "", now)})
	wantErr(t, "second RedeemAuthCode", err, storage.ErrNotFound)

	// Its code spent, the request cannot be completed a second time.
	again := c
	again.Session.ID, again.CodeHash = "sess-again", hash("code-again")
	_, _, err = s.CompleteLogin(ctx, again)
	wantErr(t, "CompleteLogin after redeem", err, storage.ErrNotFound)
	_, err = s.GetSession(ctx, "sess-again", now)
	wantErr(t, "session of the refused completion", err, storage.ErrNotFound)
}

func testLoginPendingReturning(t *testing.T, s storage.Storage) {
	returningIssuesCode(t, s, true)
}

func testLoginPendingSubject(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	login(t, s, "", "sub-1", "sess-1", now)
	createClient(t, s, "c1", now)
	before := stateOf(t, s)
	// Single sign-on keeps its session: sess-1 is replaced, not added.
	c := ssoLogin(newAuthRequest("req-1", "c1", now), "sess-1", "code-1", now)
	user, req, err := s.CompleteLogin(ctx, c)
	must(t, "CompleteLogin", err)
	same(t, "user", user, before.User)
	checkPendingCompleted(t, s, req, c, "sub-1", "code-1")
}

// testLoginPendingOnce completes a pending request, then completes it
// again as a returning person, by single sign-on and as a new person:
// each is refused and writes nothing, and the first completion stands.
func testLoginPendingOnce(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	login(t, s, "", "sub-1", "sess-1", now.Add(-time.Hour))
	createClient(t, s, "c1", now)
	r := newAuthRequest("req-1", "c1", now)
	c := withPending(returningLogin("req-1", "sess-2", "code-1", now), r)
	_, first, err := s.CompleteLogin(ctx, c)
	must(t, "first CompleteLogin", err)
	before := stateOf(t, s)

	later := now.Add(time.Second)
	again := withPending(returningLogin("req-1", "sess-3", "code-2", later), r)
	again.Identity.Profile = newProfile("changed")
	refused(t, s, "returning person again", again, before)
	refused(t, s, "single sign-on again", ssoLogin(r, "sess-4", "code-3", later), before)
	other := withPending(storage.LoginCompletion{
		Identity: newIdentity("ding-corp-a", "uid-sub-2", "union-sub-2", "sub-2"), NewSubject: "sub-2",
		Session: newSession("sess-5", later), CodeHash: hash("code-4"), CodeExpiresAt: local(later.Add(time.Minute)), Now: local(later),
	}, r)
	refused(t, s, "new person again", other, before)
	_, err = s.GetUser(ctx, "sub-2")
	wantErr(t, "GetUser of the refused new person", err, storage.ErrNotFound)
	_, err = s.FindBinding(ctx, storage.Identity{CorpID: "ding-corp-a", UserID: "uid-sub-2"})
	wantErr(t, "FindBinding of the refused new person", err, storage.ErrNotFound)

	stored, err := s.GetAuthRequest(ctx, "req-1")
	must(t, "GetAuthRequest", err)
	same(t, "request after the refused completions", stored, first)
	_, err = s.GetAuthRequestByCode(ctx, hash("code-1"), now)
	must(t, "GetAuthRequestByCode of the first completion", err)
}

// testLoginPendingStoredBlocks checks that a request stored under the
// pending request's ID, done (a failed login's marker) or not, refuses
// its completion, and that a request stored done cannot be completed as
// a stored request either.
func testLoginPendingStoredBlocks(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	login(t, s, "", "sub-1", "sess-1", now.Add(-time.Hour))
	createClient(t, s, "c1", now)
	marker := newAuthRequest("req-1", "c1", now)
	marker.Done = true
	must(t, "CreateAuthRequest done", s.CreateAuthRequest(ctx, marker))
	got, err := s.GetAuthRequest(ctx, "req-1")
	must(t, "GetAuthRequest", err)
	same(t, "request stored done", got, marker)
	stored := createAuthRequest(t, s, "req-2", "c1", now)
	before := stateOf(t, s)

	for _, r := range []storage.AuthRequest{marker, stored} {
		pending := newAuthRequest(r.ID, "c1", now) // as the provider would present it
		refused(t, s, r.ID+": returning person", withPending(returningLogin(r.ID, "sess-2", "code-2", now), pending), before)
		refused(t, s, r.ID+": single sign-on", ssoLogin(pending, "sess-3", "code-3", now), before)
		first := firstLogin(pending, "sess-4", "code-4", now)
		first.Identity, first.NewSubject = newIdentity("ding-corp-a", "uid-sub-2", "union-sub-2", "sub-2"), "sub-2"
		refused(t, s, r.ID+": new person", first, before)
		_, err = s.GetUser(ctx, "sub-2")
		wantErr(t, r.ID+": GetUser of the refused new person", err, storage.ErrNotFound)
		got, err := s.GetAuthRequest(ctx, r.ID)
		must(t, "GetAuthRequest", err)
		same(t, r.ID+" after the refused completions", got, r)
	}

	refused(t, s, "stored done request", returningLogin("req-1", "sess-5", "code-5", now), before)
	got, err = s.GetAuthRequest(ctx, "req-1")
	must(t, "GetAuthRequest", err)
	same(t, "request stored done after its refused completion", got, marker)
}

func testLoginPendingExpired(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	createClient(t, s, "c1", now)
	// Expiring at the completion's Now, and a second before it.
	r := newAuthRequest("req-1", "c1", now)
	c := firstLogin(r, "sess-1", "code-1", now)
	c.Now = r.ExpiresAt
	_, _, err := s.CompleteLogin(ctx, c)
	wantErr(t, "CompleteLogin expiring at Now", err, storage.ErrNotFound)
	assertNothingWritten(t, s, now)
	_, err = s.GetAuthRequest(ctx, "req-1")
	wantErr(t, "GetAuthRequest of the refused login", err, storage.ErrNotFound)
	old := newAuthRequest("old", "c1", now.Add(-10*time.Minute-time.Second))
	_, _, err = s.CompleteLogin(ctx, firstLogin(old, "sess-1", "code-1", now))
	wantErr(t, "CompleteLogin of an expired request", err, storage.ErrNotFound)
	assertNothingWritten(t, s, now)

	login(t, s, "", "sub-1", "sess-1", now.Add(-time.Hour))
	before := stateOf(t, s)
	ret := withPending(returningLogin("req-1", "sess-2", "code-2", now), r)
	ret.Now = r.ExpiresAt
	refused(t, s, "returning person", ret, before)
	refused(t, s, "single sign-on", ssoLogin(old, "sess-3", "code-3", now), before)
	_, err = s.GetAuthRequest(ctx, "req-1")
	wantErr(t, "GetAuthRequest of the refused logins", err, storage.ErrNotFound)
}

// testLoginPendingUnknownClient completes pending requests of a client
// that never existed and of one deleted since the request was made.
func testLoginPendingUnknownClient(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	_, _, err := s.CompleteLogin(ctx, firstLogin(newAuthRequest("req-1", "ghost", now), "sess-1", "code-1", now))
	wantErr(t, "CompleteLogin for an unknown client", err, storage.ErrNotFound)
	assertNothingWritten(t, s, now)

	login(t, s, "", "sub-1", "sess-1", now.Add(-time.Hour))
	createClient(t, s, "gone", now)
	r := newAuthRequest("req-2", "gone", now)
	must(t, "DeleteClient", s.DeleteClient(ctx, "gone"))
	before := stateOf(t, s)
	refused(t, s, "returning person", withPending(returningLogin("req-2", "sess-2", "code-2", now), r), before)
	refused(t, s, "single sign-on", ssoLogin(r, "sess-3", "code-3", now), before)
	ghost := newAuthRequest("req-3", "ghost", now)
	refused(t, s, "returning person, unknown client", withPending(returningLogin("req-3", "sess-4", "code-4", now), ghost), before)
	for _, id := range []string{"req-1", "req-2", "req-3"} {
		_, err = s.GetAuthRequest(ctx, id)
		wantErr(t, "GetAuthRequest "+id, err, storage.ErrNotFound)
	}
}

func testLoginPendingMismatchedID(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	createClient(t, s, "c1", now)
	c := firstLogin(newAuthRequest("req-1", "c1", now), "sess-1", "code-1", now)
	for _, id := range []string{"req-2", ""} {
		c.AuthRequestID = id
		if _, _, err := s.CompleteLogin(ctx, c); err == nil {
			t.Errorf("CompleteLogin with AuthRequestID %q for pending request req-1 succeeded", id)
		}
		assertNothingWritten(t, s, now)
	}
	for _, id := range []string{"req-1", "req-2"} {
		_, err := s.GetAuthRequest(ctx, id)
		wantErr(t, "GetAuthRequest "+id, err, storage.ErrNotFound)
	}
}

// testLoginPendingConcurrent completes one pending request from many
// goroutines at once (returning person and single sign-on alike): exactly
// one wins, and only its session and code exist.
func testLoginPendingConcurrent(t *testing.T, s storage.Storage) {
	const n = 16
	ctx := t.Context()
	now := wallNow()
	login(t, s, "", "sub-1", "sess-1", now.Add(-time.Hour))
	createClient(t, s, "c1", now)
	r := newAuthRequest("req-1", "c1", now)
	completions := make([]storage.LoginCompletion, n)
	for i := range completions {
		sess, code := fmt.Sprintf("sess-c%d", i), fmt.Sprintf("code-%d", i)
		completions[i] = withPending(returningLogin("req-1", sess, code, now), r)
		if i%2 == 1 {
			completions[i] = ssoLogin(r, sess, code, now)
		}
	}
	results := raceCompletions(ctx, s, completions)
	winner := oneWinner(t, s, completions, results)
	if winner >= 0 {
		checkPendingCompleted(t, s, results[winner].req, completions[winner], "sub-1", fmt.Sprintf("code-%d", winner))
	}
}

// testLoginPendingConcurrentFirst completes one pending request for
// sixteen new people at once: exactly one wins, and only its user,
// binding, session and code exist.
func testLoginPendingConcurrentFirst(t *testing.T, s storage.Storage) {
	const n = 16
	ctx := t.Context()
	now := wallNow()
	createClient(t, s, "c1", now)
	r := newAuthRequest("req-1", "c1", now)
	completions := make([]storage.LoginCompletion, n)
	for i := range completions {
		c := firstLogin(r, fmt.Sprintf("sess-c%d", i), fmt.Sprintf("code-%d", i), now)
		c.Identity = newIdentity("ding-corp-a", fmt.Sprintf("uid-%d", i), fmt.Sprintf("union-%d", i), "p")
		c.NewSubject = fmt.Sprintf("sub-c%d", i)
		completions[i] = c
	}
	results := raceCompletions(ctx, s, completions)
	winner := oneWinner(t, s, completions, results)
	for i, c := range completions {
		_, err := s.GetUser(ctx, c.NewSubject)
		_, bindErr := s.FindBinding(ctx, *c.Identity)
		if i == winner {
			must(t, "GetUser of the winner", err)
			must(t, "FindBinding of the winner", bindErr)
			continue
		}
		wantErr(t, fmt.Sprintf("GetUser of loser #%d", i), err, storage.ErrNotFound)
		wantErr(t, fmt.Sprintf("FindBinding of loser #%d", i), bindErr, storage.ErrNotFound)
	}
	if winner >= 0 {
		checkPendingCompleted(t, s, results[winner].req, completions[winner], completions[winner].NewSubject, fmt.Sprintf("code-%d", winner))
	}
}

// completionResult is what one CompleteLogin of raceCompletions returned.
type completionResult struct {
	req storage.AuthRequest
	err error
}

// raceCompletions runs CompleteLogin for every completion, released at
// once from their own goroutines.
func raceCompletions(ctx context.Context, s storage.Storage, completions []storage.LoginCompletion) []completionResult {
	results := make([]completionResult, len(completions))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, c := range completions {
		wg.Go(func() {
			<-start
			_, results[i].req, results[i].err = s.CompleteLogin(ctx, c)
		})
	}
	close(start)
	wg.Wait()
	return results
}

// oneWinner checks that exactly one of results succeeded and the others
// got ErrNotFound and left neither session nor code, and returns the
// winner's index (-1 if none).
func oneWinner(t *testing.T, s storage.Storage, completions []storage.LoginCompletion, results []completionResult) int {
	t.Helper()
	ctx := t.Context()
	winner, winners := -1, 0
	for i, res := range results {
		c := completions[i]
		_, sessErr := s.GetSession(ctx, c.Session.ID, c.Now)
		_, codeErr := s.GetAuthRequestByCode(ctx, c.CodeHash, c.Now)
		if res.err == nil {
			winner = i
			winners++
			must(t, "GetSession of the winner", sessErr)
			must(t, "GetAuthRequestByCode of the winner", codeErr)
			continue
		}
		wantErr(t, fmt.Sprintf("CompleteLogin #%d", i), res.err, storage.ErrNotFound)
		wantErr(t, fmt.Sprintf("GetSession of loser #%d", i), sessErr, storage.ErrNotFound)
		wantErr(t, fmt.Sprintf("GetAuthRequestByCode of loser #%d", i), codeErr, storage.ErrNotFound)
	}
	if winners != 1 {
		t.Errorf("%d of %d concurrent completions succeeded, want exactly 1", winners, len(results))
	}
	return winner
}
