package resolve_test

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dingbridge/dingbridge/dingtalk"
	dt "github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
	"github.com/dingbridge/dingbridge/provider/resolve"
)

// Calls of a warm QR login: a first login of the person in the corp, and a
// returning one.
var (
	qrFirstCalls = map[dt.Endpoint]int{dt.EndpointUserAccessToken: 1, dt.EndpointContactUser: 1,
		dt.EndpointGetByUnionID: 1, dt.EndpointUserGet: 1}
	qrReturningCalls = map[dt.Endpoint]int{dt.EndpointUserAccessToken: 1, dt.EndpointContactUser: 1,
		dt.EndpointUserGet: 1}
)

// qr logs userID of corp 1 in through r with corp 1's internal app.
func (e *env) qr(t *testing.T, r *resolve.Resolver, userID string) (*resolve.Result, error) {
	t.Helper()
	return r.QR(t.Context(), dt.DemoAppKey, e.sim.IssueCode(dt.CodeOAuth, dt.DemoAppKey, dt.DemoCorpID, userID), "")
}

// counted runs login with fresh simulator counters and returns what it
// called.
func (e *env) counted(login func()) map[dt.Endpoint]int {
	e.sim.ResetCalls()
	login()
	return e.calls()
}

func wantCalls(t *testing.T, what string, got, want map[dt.Endpoint]int) {
	t.Helper()
	if !maps.Equal(got, want) {
		t.Errorf("%s: calls = %v, want %v", what, got, want)
	}
}

// simUser returns the simulator's record of userID in corpID.
func simUser(t *testing.T, e *env, corpID, userID string) dt.User {
	t.Helper()
	users := e.sim.Directory().Users
	i := slices.IndexFunc(users, func(u dt.User) bool { return u.CorpID == corpID && u.UserID == userID })
	if i < 0 {
		t.Fatalf("no user %q in corp %q", userID, corpID)
	}
	return users[i]
}

// rejoin removes Alice from corp 1 and adds her back under a new userid, as
// when she leaves and is hired again.
func rejoin(t *testing.T, e *env, newUserID string) {
	t.Helper()
	alice := simUser(t, e, dt.DemoCorpID, aliceCorp1)
	e.sim.RemoveUser(dt.DemoCorpID, aliceCorp1)
	alice.UserID = newUserID
	e.sim.AddUser(alice)
}

// warmReplica returns a second resolver on e's store after a login through
// e.r, so tokens and departments are cached and the new resolver has not
// seen anyone yet.
func warmReplica(t *testing.T, e *env) *resolve.Resolver {
	t.Helper()
	if _, err := e.qr(t, e.r, aliceCorp1); err != nil {
		t.Fatalf("warming QR: %v", err)
	}
	_, r := e.resolver(t, demoConfig())
	return r
}

// A returning member's QR login skips E9 and gives the same result.
func TestQRReturningMemberSkipsGetByUnionID(t *testing.T) {
	e := newEnv(t, demoConfig())
	r := warmReplica(t, e)
	var first, second *resolve.Result
	var err error
	wantCalls(t, "first login", e.counted(func() { first, err = e.qr(t, r, aliceCorp1) }), qrFirstCalls)
	if err != nil {
		t.Fatalf("first QR: %v", err)
	}
	wantCalls(t, "second login", e.counted(func() { second, err = e.qr(t, r, aliceCorp1) }), qrReturningCalls)
	if err != nil {
		t.Fatalf("second QR: %v", err)
	}
	wantAliceCorp1(t, second)
	if !reflect.DeepEqual(first, second) {
		t.Errorf("second login = %+v\nwant the first's %+v", second, first)
	}
	// The memo is per corp: Alice's first QR login in corp 2 asks E9.
	calls := e.counted(func() {
		_, err = r.QR(t.Context(), dt.DemoApp2Key, e.sim.IssueCode(dt.CodeOAuth, dt.DemoApp2Key, dt.DemoCorp2ID, aliceCorp2), "")
	})
	if err != nil {
		t.Fatalf("QR corp 2: %v", err)
	}
	if calls[dt.EndpointGetByUnionID] != 1 {
		t.Errorf("first QR login in corp 2: calls = %v, want one E9", calls)
	}
}

// A member who left the corp between two logins gets today's non-member
// result, and the stale entry is dropped.
func TestReturningMemberLeftTheCorp(t *testing.T) {
	e := newEnv(t, demoConfig())
	r := warmReplica(t, e)
	sns := func(r *resolve.Resolver, corpID, userID string) (*resolve.Result, error) {
		return r.SNS(t.Context(), dt.DemoLoginAppID, e.sim.IssueCode(dt.CodeSNS, dt.DemoLoginAppID, corpID, userID), dt.DemoCorpID)
	}
	res, err := sns(r, dt.DemoCorpID, aliceCorp1)
	if err != nil || !res.Member {
		t.Fatalf("first SNS = %+v, %v; want a member", res, err)
	}
	e.sim.RemoveUser(dt.DemoCorpID, aliceCorp1)

	// Alice still exists in corp 2, so the legacy login still works; it
	// names corp 1.
	var got *resolve.Result
	calls := e.counted(func() { got, err = sns(r, dt.DemoCorp2ID, aliceCorp2) })
	if err != nil {
		t.Fatalf("SNS after leaving: %v", err)
	}
	wantCalls(t, "login after leaving", calls, map[dt.Endpoint]int{dt.EndpointSNSUserInfo: 1,
		dt.EndpointUserGet: 1, dt.EndpointGetByUnionID: 1})
	_, fresh := e.resolver(t, demoConfig())
	want, err := sns(fresh, dt.DemoCorp2ID, aliceCorp2)
	if err != nil {
		t.Fatalf("SNS without memory: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SNS after leaving = %+v\nwant what a resolver without memory says: %+v", got, want)
	}
	if got.Member || got.CorpID != dt.DemoCorpID || got.Identity.UserID != "" || got.Identity.UnionID != dt.DemoSharedUnionID {
		t.Errorf("SNS after leaving = %+v, want a non-member of corp 1", got)
	}
	// The entry is gone: the next login asks E9 only.
	calls = e.counted(func() { _, err = sns(r, dt.DemoCorp2ID, aliceCorp2) })
	if err != nil {
		t.Fatal(err)
	}
	wantCalls(t, "next login", calls, map[dt.Endpoint]int{dt.EndpointSNSUserInfo: 1, dt.EndpointGetByUnionID: 1})
}

// A member who left and came back under a new userid is found through E9;
// the new userid is remembered.
func TestReturningMemberRejoined(t *testing.T) {
	e := newEnv(t, demoConfig())
	r := warmReplica(t, e)
	if _, err := e.qr(t, r, aliceCorp1); err != nil {
		t.Fatal(err)
	}
	rejoin(t, e, "alice.wang.2")
	var got *resolve.Result
	var err error
	calls := e.counted(func() { got, err = e.qr(t, r, "alice.wang.2") })
	if err != nil {
		t.Fatalf("QR after rejoining: %v", err)
	}
	wantCalls(t, "login after rejoining", calls, map[dt.Endpoint]int{dt.EndpointUserAccessToken: 1,
		dt.EndpointContactUser: 1, dt.EndpointUserGet: 2, dt.EndpointGetByUnionID: 1})
	_, fresh := e.resolver(t, demoConfig())
	want, err := e.qr(t, fresh, "alice.wang.2")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("QR after rejoining = %+v\nwant %+v", got, want)
	}
	if got.Identity.UserID != "alice.wang.2" || !got.Member {
		t.Errorf("identity = %+v, want member alice.wang.2", got.Identity)
	}
	wantCalls(t, "next login", e.counted(func() { _, err = e.qr(t, r, "alice.wang.2") }), qrReturningCalls)
	if err != nil {
		t.Fatal(err)
	}
}

// A remembered userid that E8 now reports with another unionid never gives
// that person's profile: E9 decides, as on a first login.
func TestRememberedUserIDOfSomeoneElse(t *testing.T) {
	e := newEnv(t, demoConfig())
	r := warmReplica(t, e)
	if _, err := e.qr(t, r, aliceCorp1); err != nil {
		t.Fatal(err)
	}
	rejoin(t, e, "alice.wang.2")
	e.sim.AddUser(dt.User{CorpID: dt.DemoCorpID, UserID: aliceCorp1, UnionID: "Other0000000000000000000iEiE",
		Name: "Someone Else", JobNumber: "YQ999", DeptIDs: []int64{deptMkt}})
	var got *resolve.Result
	var err error
	calls := e.counted(func() { got, err = e.qr(t, r, "alice.wang.2") })
	if err != nil {
		t.Fatalf("QR: %v", err)
	}
	wantCalls(t, "login", calls, map[dt.Endpoint]int{dt.EndpointUserAccessToken: 1,
		dt.EndpointContactUser: 1, dt.EndpointUserGet: 2, dt.EndpointGetByUnionID: 1})
	_, fresh := e.resolver(t, demoConfig())
	want, err := e.qr(t, fresh, "alice.wang.2")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("QR = %+v\nwant %+v", got, want)
	}
	if id := got.Identity; id.UserID != "alice.wang.2" || id.UnionID != dt.DemoSharedUnionID ||
		id.Profile.Name != "Alice Wang" || id.Profile.JobNumber != "YQ017" {
		t.Errorf("identity = %+v, want Alice under alice.wang.2", id)
	}

	// The same through the legacy flow, where Alice is no longer in corp 1
	// at all: a non-member, not the other person.
	_, r2 := e.resolver(t, demoConfig())
	sns := func() (*resolve.Result, error) {
		return r2.SNS(t.Context(), dt.DemoLoginAppID,
			e.sim.IssueCode(dt.CodeSNS, dt.DemoLoginAppID, dt.DemoCorpID, "alice.wang.2"), dt.DemoCorpID)
	}
	if res, err := sns(); err != nil || res.Identity.UserID != "alice.wang.2" {
		t.Fatalf("SNS = %+v, %v", res, err)
	}
	e.sim.RemoveUser(dt.DemoCorpID, "alice.wang.2")
	e.sim.AddUser(dt.User{CorpID: dt.DemoCorpID, UserID: "alice.wang.2", UnionID: "Other0000000000000000001iEiE", Name: "Another"})
	// E12 needs Alice somewhere: she is still in corp 2.
	res, err := r2.SNS(t.Context(), dt.DemoLoginAppID,
		e.sim.IssueCode(dt.CodeSNS, dt.DemoLoginAppID, dt.DemoCorp2ID, aliceCorp2), dt.DemoCorpID)
	if err != nil {
		t.Fatalf("SNS: %v", err)
	}
	if res.Member || res.Identity.UserID != "" || res.Identity.Profile.Name != "" {
		t.Errorf("SNS = %+v, want a non-member of corp 1", res)
	}
}

// E8 failures other than "not a member" on the remembered userid are
// returned as the full path would return them, without E9, and the entry
// stays.
func TestRememberedUserIDAndDingTalkFailure(t *testing.T) {
	e := newEnv(t, demoConfig())
	r := warmReplica(t, e)
	if _, err := e.qr(t, r, aliceCorp1); err != nil {
		t.Fatal(err)
	}
	e.sim.Fail(dt.EndpointUserGet, dt.Fault{Kind: dt.FaultServerError, Times: dt.Always})
	var err error
	calls := e.counted(func() { _, err = e.qr(t, r, aliceCorp1) })
	if !errors.Is(err, dingtalk.KindTransient) {
		t.Errorf("QR with E8 failing = %v, want KindTransient", err)
	}
	if calls[dt.EndpointGetByUnionID] != 0 {
		t.Errorf("QR with E8 failing: calls = %v, want no E9", calls)
	}
	// A resolver without memory fails the same way.
	_, fresh := e.resolver(t, demoConfig())
	if _, err := e.qr(t, fresh, aliceCorp1); !errors.Is(err, dingtalk.KindTransient) {
		t.Errorf("QR without memory, E8 failing = %v, want KindTransient", err)
	}
	e.sim.ClearFaults()
	wantCalls(t, "login after the failure", e.counted(func() { _, err = e.qr(t, r, aliceCorp1) }), qrReturningCalls)
	if err != nil {
		t.Fatal(err)
	}
}

// A remembered member now outside the app's visible range gets the full
// path's 50002 error.
func TestRememberedMemberOutsideVisibleRange(t *testing.T) {
	const key = "dingvisiblerange0002"
	secret := strings.Repeat("w", 64)
	cfg := resolve.Config{Corps: []resolve.Corp{{CorpID: dt.DemoCorpID, AppKey: key, AppSecret: secret, AgentID: 1111111112}}}
	e := newEnv(t, cfg)
	e.sim.AddApp(dt.App{CorpID: dt.DemoCorpID, Name: "research only", AppKey: key, AppSecret: secret, AgentID: 1111111112,
		Permissions: dt.AllPermissions(), VisibleDeptIDs: []int64{deptRD}})
	qr := func() (*resolve.Result, error) {
		return e.r.QR(t.Context(), key, e.sim.IssueCode(dt.CodeOAuth, key, dt.DemoCorpID, aliceCorp1), "")
	}
	if _, err := qr(); err != nil {
		t.Fatalf("QR inside the range: %v", err)
	}
	// Alice moves to 市场部, outside the app's range.
	alice := simUser(t, e, dt.DemoCorpID, aliceCorp1)
	e.sim.RemoveUser(dt.DemoCorpID, aliceCorp1)
	alice.DeptIDs = []int64{deptMkt}
	e.sim.AddUser(alice)
	var err error
	calls := e.counted(func() { _, err = qr() })
	var ae *dingtalk.APIError
	if !errors.As(err, &ae) || ae.Code != "50002" {
		t.Errorf("QR outside the range = %v, want the 50002 error", err)
	}
	if calls[dt.EndpointGetByUnionID] != 1 || calls[dt.EndpointUserGet] != 2 {
		t.Errorf("calls = %v, want E8, then E9 → E8", calls)
	}
}
