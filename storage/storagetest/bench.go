package storagetest

import (
	"crypto/sha256"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

// CPUMeter reports the CPU time used so far by the database server on
// behalf of the store under test (its backend processes); nil for an
// in-process database, whose CPU the benchmark's own process accounts.
type CPUMeter func() time.Duration

// Bench runs one benchmark per storage operation of a login's hot path on
// the store newStore returns (one store per operation). Besides ns/op each
// reports cpu-µs/op: the benchmark process's CPU time plus, when meter is
// not nil, the database server's, per operation.
func Bench(b *testing.B, newStore func(b *testing.B) storage.Storage, meter CPUMeter) {
	for _, bm := range []struct {
		name string
		run  func(b *testing.B, s storage.Storage, m *cpuClock)
	}{
		{"GetClient", benchGetClient},
		{"CreateAuthRequest", benchCreateAuthRequest},
		{"GetAuthRequest", benchGetAuthRequest},
		{"CompleteLogin/returning", benchCompleteLoginReturning},
		{"CompleteLogin/first", benchCompleteLoginFirst},
		{"CompleteLogin/pending-returning", benchCompleteLoginPendingReturning},
		{"SaveAuthCode", benchSaveAuthCode},
		{"RedeemAuthCode", benchRedeemAuthCode},
		{"GetAccessToken", benchGetAccessToken},
		{"GetAccessTokenUser", benchGetAccessTokenUser},
		{"RotateRefreshToken", benchRotateRefreshToken},
		{"GetUser", benchGetUser},
		{"GetSession", benchGetSession},
		{"GetCache", benchGetCache},
		{"PutCache", benchPutCache},
	} {
		b.Run(bm.name, func(b *testing.B) {
			s := newStore(b)
			bm.run(b, s, &cpuClock{meter: meter})
		})
	}
}

// cpuClock measures CPU time between start and stop.
type cpuClock struct {
	meter CPUMeter
	t0    time.Duration
}

func (c *cpuClock) now() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	t := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	if c.meter != nil {
		t += c.meter()
	}
	return t
}

// start resets the benchmark timer and the CPU clock.
func (c *cpuClock) start(b *testing.B) {
	c.t0 = c.now()
	b.ResetTimer()
}

// stop reports cpu-µs/op.
func (c *cpuClock) stop(b *testing.B) {
	b.StopTimer()
	used := c.now() - c.t0
	b.ReportMetric(float64(used)/float64(time.Microsecond)/float64(b.N), "cpu-µs/op")
}

func benchMust(b *testing.B, what string, err error) {
	if err != nil {
		b.Helper()
		b.Fatalf("%s: %v", what, err)
	}
}

func benchHash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// benchClient stores the client every fixture refers to.
func benchClient(b *testing.B, s storage.Storage, now time.Time) {
	benchMust(b, "CreateClient", s.CreateClient(b.Context(), newClient("bench", now)))
}

// benchRequests creates n auth requests of the bench client.
func benchRequests(b *testing.B, s storage.Storage, prefix string, n int, now time.Time) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%d", prefix, i)
		benchMust(b, "CreateAuthRequest", s.CreateAuthRequest(b.Context(), newAuthRequest(ids[i], "bench", now)))
	}
	return ids
}

// benchIdentity is person i of corp ding-corp-a.
func benchIdentity(i int) storage.Identity {
	return storage.Identity{
		CorpID: "ding-corp-a", UserID: fmt.Sprintf("user-%d", i), UnionID: fmt.Sprintf("union-%d", i),
		Profile: storage.Profile{
			Name: fmt.Sprintf("Person %d", i), Nick: "p", OrgEmail: "p@corp.example", Mobile: "13800000000",
			StateCode: "86", JobNumber: "J1", Title: "Engineer", DeptIDs: []int64{1, 42},
			Departments: []storage.Department{{ID: 1, Name: "Corp"}, {ID: 42, Name: "R&D", ParentIDs: []int64{1}, Path: "Corp/R&D"}},
			Active:      true, CorpName: "Corp A",
		},
	}
}

// benchLogin completes request id as person i with session sid.
func benchLogin(b *testing.B, s storage.Storage, id string, i int, sid string, now time.Time) {
	_, _, err := s.CompleteLogin(b.Context(), benchCompletion(id, i, sid, now))
	benchMust(b, "CompleteLogin", err)
}

// benchCompletion is the completion benchLogin runs.
func benchCompletion(id string, i int, sid string, now time.Time) storage.LoginCompletion {
	ident := benchIdentity(i)
	return storage.LoginCompletion{
		AuthRequestID: id, Identity: &ident, NewSubject: fmt.Sprintf("sub-%d", i),
		Session:  storage.Session{ID: sid, AuthTime: now, AMR: []string{"dingtalk"}, CorpID: ident.CorpID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
		AuthTime: now, AMR: []string{"dingtalk"}, Now: now,
	}
}

// benchCodes makes n done requests with codes "<prefix>-code-<i>".
func benchCodes(b *testing.B, s storage.Storage, prefix string, n int, now time.Time) {
	for i, id := range benchRequests(b, s, prefix, n, now) {
		benchLogin(b, s, id, i%16, fmt.Sprintf("%s-sess-%d", prefix, i), now)
		benchMust(b, "SaveAuthCode", s.SaveAuthCode(b.Context(), id, benchHash(fmt.Sprintf("%s-code-%d", prefix, i)), now.Add(time.Minute)))
	}
}

func benchIssue(prefix string, i int, now time.Time, refresh bool) storage.TokenIssue {
	fam := fmt.Sprintf("%s-fam-%d", prefix, i)
	at := storage.AccessToken{
		ID: fmt.Sprintf("%s-at-%d", prefix, i), ClientID: "bench", Subject: "sub-0", Audience: []string{"bench"},
		Scopes: []string{"openid", "profile", "offline_access"}, FamilyID: fam, AuthTime: now, AMR: []string{"dingtalk"},
		CreatedAt: now, ExpiresAt: now.Add(time.Hour),
	}
	issue := storage.TokenIssue{Access: at}
	if refresh {
		issue.Refresh = &storage.RefreshToken{
			ID: fmt.Sprintf("%s-rt-%d", prefix, i), TokenHash: benchHash(fmt.Sprintf("%s-rt-%d", prefix, i)), FamilyID: fam,
			ClientID: "bench", Subject: "sub-0", Audience: []string{"bench"}, Scopes: at.Scopes, AuthTime: now,
			AMR: at.AMR, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour),
		}
	}
	return issue
}

func benchGetClient(b *testing.B, s storage.Storage, c *cpuClock) {
	benchClient(b, s, wallNow())
	c.start(b)
	for range b.N {
		_, err := s.GetClient(b.Context(), "bench")
		benchMust(b, "GetClient", err)
	}
	c.stop(b)
}

func benchCreateAuthRequest(b *testing.B, s storage.Storage, c *cpuClock) {
	now := wallNow()
	benchClient(b, s, now)
	c.start(b)
	for i := range b.N {
		benchMust(b, "CreateAuthRequest", s.CreateAuthRequest(b.Context(), newAuthRequest(fmt.Sprintf("ar-%d", i), "bench", now)))
	}
	c.stop(b)
}

func benchGetAuthRequest(b *testing.B, s storage.Storage, c *cpuClock) {
	now := wallNow()
	benchClient(b, s, now)
	benchRequests(b, s, "get", 1, now)
	c.start(b)
	for range b.N {
		_, err := s.GetAuthRequest(b.Context(), "get-0")
		benchMust(b, "GetAuthRequest", err)
	}
	c.stop(b)
}

func benchCompleteLoginReturning(b *testing.B, s storage.Storage, c *cpuClock) {
	now := wallNow()
	benchClient(b, s, now)
	// Sixteen people, each logged in once before.
	warm := benchRequests(b, s, "warm", 16, now)
	for i, id := range warm {
		benchLogin(b, s, id, i, fmt.Sprintf("warm-sess-%d", i), now)
	}
	ids := benchRequests(b, s, "ret", b.N, now)
	c.start(b)
	for i, id := range ids {
		benchLogin(b, s, id, i%16, fmt.Sprintf("ret-sess-%d", i), now)
	}
	c.stop(b)
}

// benchCompleteLoginPendingReturning is benchCompleteLoginReturning for
// pending requests (LoginCompletion.Request): the request, never stored
// before, is inserted by the completion.
func benchCompleteLoginPendingReturning(b *testing.B, s storage.Storage, c *cpuClock) {
	now := wallNow()
	benchClient(b, s, now)
	warm := benchRequests(b, s, "warm", 16, now)
	for i, id := range warm {
		benchLogin(b, s, id, i, fmt.Sprintf("warm-sess-%d", i), now)
	}
	reqs := make([]storage.AuthRequest, b.N)
	for i := range reqs {
		reqs[i] = newAuthRequest(fmt.Sprintf("pend-%d", i), "bench", now)
	}
	c.start(b)
	for i := range reqs {
		comp := benchCompletion(reqs[i].ID, i%16, fmt.Sprintf("pend-sess-%d", i), now)
		comp.Request = &reqs[i]
		_, _, err := s.CompleteLogin(b.Context(), comp)
		benchMust(b, "CompleteLogin", err)
	}
	c.stop(b)
}

func benchCompleteLoginFirst(b *testing.B, s storage.Storage, c *cpuClock) {
	now := wallNow()
	benchClient(b, s, now)
	ids := benchRequests(b, s, "first", b.N, now)
	c.start(b)
	for i, id := range ids {
		benchLogin(b, s, id, i, fmt.Sprintf("first-sess-%d", i), now)
	}
	c.stop(b)
}

func benchSaveAuthCode(b *testing.B, s storage.Storage, c *cpuClock) {
	now := wallNow()
	benchClient(b, s, now)
	ids := benchRequests(b, s, "save", b.N, now)
	for i, id := range ids {
		benchLogin(b, s, id, i%16, fmt.Sprintf("save-sess-%d", i), now)
	}
	c.start(b)
	for i, id := range ids {
		benchMust(b, "SaveAuthCode", s.SaveAuthCode(b.Context(), id, benchHash(fmt.Sprintf("save-code-%d", i)), now.Add(time.Minute)))
	}
	c.stop(b)
}

func benchRedeemAuthCode(b *testing.B, s storage.Storage, c *cpuClock) {
	now := wallNow()
	benchClient(b, s, now)
	benchCodes(b, s, "redeem", b.N, now)
	c.start(b)
	for i := range b.N {
		err := s.RedeemAuthCode(b.Context(), benchHash(fmt.Sprintf("redeem-code-%d", i)), now, benchIssue("redeem", i, now, true))
		benchMust(b, "RedeemAuthCode", err)
	}
	c.stop(b)
}

func benchGetAccessToken(b *testing.B, s storage.Storage, c *cpuClock) {
	now := wallNow()
	benchClient(b, s, now)
	benchMust(b, "CreateTokens", s.CreateTokens(b.Context(), benchIssue("get", 0, now, false)))
	c.start(b)
	for range b.N {
		_, err := s.GetAccessToken(b.Context(), "get-at-0", now)
		benchMust(b, "GetAccessToken", err)
	}
	c.stop(b)
}

// benchGetAccessTokenUser reads what one userinfo request needs: a token
// of a person with bindings in two corps, issued in a live session.
func benchGetAccessTokenUser(b *testing.B, s storage.Storage, c *cpuClock) {
	now := wallNow()
	benchClient(b, s, now)
	benchLogin(b, s, benchRequests(b, s, "tu", 1, now)[0], 0, "tu-sess", now)
	second := benchIdentity(0)
	second.CorpID = "ding-corp-b"
	_, _, err := s.CompleteLogin(b.Context(), storage.LoginCompletion{
		Identity: &second, Session: storage.Session{ID: "tu-sess-b", CorpID: second.CorpID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
		Now: now,
	})
	benchMust(b, "CompleteLogin", err)
	issue := benchIssue("tu", 0, now, false)
	issue.Access.SessionID = "tu-sess"
	benchMust(b, "CreateTokens", s.CreateTokens(b.Context(), issue))
	c.start(b)
	for range b.N {
		got, err := s.GetAccessTokenUser(b.Context(), "tu-at-0", now)
		benchMust(b, "GetAccessTokenUser", err)
		if len(got.Bindings) != 2 || !got.SessionFound {
			b.Fatalf("GetAccessTokenUser: %d bindings, session found %v; want 2 and true", len(got.Bindings), got.SessionFound)
		}
	}
	c.stop(b)
}

func benchRotateRefreshToken(b *testing.B, s storage.Storage, c *cpuClock) {
	now := wallNow()
	benchClient(b, s, now)
	first := benchIssue("rot", 0, now, true)
	benchMust(b, "CreateTokens", s.CreateTokens(b.Context(), first))
	c.start(b)
	for i := range b.N {
		next := benchIssue("rot", i+1, now, true)
		next.Access.FamilyID, next.Refresh.FamilyID = first.Access.FamilyID, first.Refresh.FamilyID
		err := s.RotateRefreshToken(b.Context(), benchHash(fmt.Sprintf("rot-rt-%d", i)), now, next)
		benchMust(b, "RotateRefreshToken", err)
	}
	c.stop(b)
}

func benchGetUser(b *testing.B, s storage.Storage, c *cpuClock) {
	now := wallNow()
	benchClient(b, s, now)
	benchLogin(b, s, benchRequests(b, s, "user", 1, now)[0], 0, "user-sess", now)
	c.start(b)
	for range b.N {
		_, err := s.GetUser(b.Context(), "sub-0")
		benchMust(b, "GetUser", err)
	}
	c.stop(b)
}

func benchGetSession(b *testing.B, s storage.Storage, c *cpuClock) {
	now := wallNow()
	benchClient(b, s, now)
	benchLogin(b, s, benchRequests(b, s, "sess", 1, now)[0], 0, "sess-0", now)
	c.start(b)
	for range b.N {
		_, err := s.GetSession(b.Context(), "sess-0", now)
		benchMust(b, "GetSession", err)
	}
	c.stop(b)
}

func benchGetCache(b *testing.B, s storage.Storage, c *cpuClock) {
	now := wallNow()
	benchMust(b, "PutCache", s.PutCache(b.Context(), storage.CacheEntry{Key: "k", Value: make([]byte, 200), ExpiresAt: now.Add(time.Hour)}))
	c.start(b)
	for range b.N {
		_, err := s.GetCache(b.Context(), "k", now)
		benchMust(b, "GetCache", err)
	}
	c.stop(b)
}

func benchPutCache(b *testing.B, s storage.Storage, c *cpuClock) {
	now := wallNow()
	c.start(b)
	for i := range b.N {
		e := storage.CacheEntry{Key: fmt.Sprintf("k-%d", i%64), Value: make([]byte, 200), ExpiresAt: now.Add(time.Hour)}
		benchMust(b, "PutCache", s.PutCache(b.Context(), e))
	}
	c.stop(b)
}
