package resolve_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk"
	dt "github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
	"github.com/dingbridge/dingbridge/provider/resolve"
	"github.com/dingbridge/dingbridge/storage"
)

// wantAliceCorp1 checks the directory part of Alice's corp-1 profile.
func wantAliceCorp1(t *testing.T, res *resolve.Result) {
	t.Helper()
	id := res.Identity
	if id.CorpID != dt.DemoCorpID || id.UserID != aliceCorp1 || id.UnionID != dt.DemoSharedUnionID {
		t.Errorf("identity ids = (%q, %q, %q), want (%q, %q, %q)", id.CorpID, id.UserID, id.UnionID,
			dt.DemoCorpID, aliceCorp1, dt.DemoSharedUnionID)
	}
	if res.CorpID != dt.DemoCorpID || !res.Member || !res.Directory {
		t.Errorf("CorpID, Member, Directory = %q, %v, %v; want corp 1, true, true", res.CorpID, res.Member, res.Directory)
	}
	p := id.Profile
	hired := time.Date(2021, 7, 12, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	checks := []struct {
		field     string
		got, want any
	}{
		{"Name", p.Name, "Alice Wang"},
		{"Email", p.Email, "alice@example.com"},
		{"OrgEmail", p.OrgEmail, "alice.wang@yunqiao.example"},
		{"Mobile", p.Mobile, "13700137003"},
		{"StateCode", p.StateCode, "86"},
		{"JobNumber", p.JobNumber, "YQ017"},
		{"Title", p.Title, "Backend Engineer"},
		{"DeptIDs", p.DeptIDs, []int64{deptBackend, deptMkt}},
		{"Active", p.Active, true},
		{"Admin", p.Admin, false},
		{"Boss", p.Boss, false},
		{"CorpName", p.CorpName, dt.DemoCorpName},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("Profile.%s = %#v, want %#v", c.field, c.got, c.want)
		}
	}
	if p.HiredDate == nil || !p.HiredDate.Equal(hired) || p.HiredDate.Location() != time.UTC {
		t.Errorf("Profile.HiredDate = %v, want %v in UTC", p.HiredDate, hired)
	}
	want := []storage.Department{
		{ID: deptBackend, Name: "后端组", ParentIDs: []int64{deptRD, 1}, Path: "研发部/后端组"},
		{ID: deptMkt, Name: "市场部", ParentIDs: []int64{1}, Path: "市场部"},
	}
	if !reflect.DeepEqual(p.Departments, want) {
		t.Errorf("Profile.Departments = %+v, want %+v", p.Departments, want)
	}
}

func wantAMR(t *testing.T, res *resolve.Result, flow string) {
	t.Helper()
	if want := []string{"dingtalk", flow}; !slices.Equal(res.AMR, want) {
		t.Errorf("AMR = %q, want %q", res.AMR, want)
	}
}

func TestWorkspace(t *testing.T) {
	e := newEnv(t, demoConfig())
	code := e.sim.IssueCode(dt.CodeJSAPI, dt.DemoAppKey, dt.DemoCorpID, aliceCorp1)
	res, err := e.r.Workspace(t.Context(), dt.DemoCorpID, code)
	if err != nil {
		t.Fatalf("Workspace: %v", err)
	}
	wantAliceCorp1(t, res)
	wantAMR(t, res, resolve.AMRWorkspace)
	if res.Identity.Profile.AppAdmin {
		t.Error("AppAdmin set outside the admin console")
	}
}

func TestWorkspaceSysLevelAndRootDepartment(t *testing.T) {
	e := newEnv(t, demoConfig())
	code := e.sim.IssueCode(dt.CodeJSAPI, dt.DemoAppKey, dt.DemoCorpID, lisi)
	res, err := e.r.Workspace(t.Context(), dt.DemoCorpID, code)
	if err != nil {
		t.Fatalf("Workspace: %v", err)
	}
	p := res.Identity.Profile
	if !p.Boss || p.SysLevel != 100 {
		t.Errorf("Boss, SysLevel = %v, %d; want true, 100", p.Boss, p.SysLevel)
	}
	want := []storage.Department{{ID: 1, Name: dt.DemoCorpName, Path: dt.DemoCorpName}}
	if !reflect.DeepEqual(p.Departments, want) {
		t.Errorf("Departments = %+v, want %+v", p.Departments, want)
	}
}

func TestMiniProgram(t *testing.T) {
	e := newEnv(t, demoConfig())
	code := e.sim.IssueCode(dt.CodeJSAPI, dt.DemoAppKey, dt.DemoCorpID, aliceCorp1)
	res, err := e.r.MiniProgram(t.Context(), dt.DemoCorpID, code)
	if err != nil {
		t.Fatalf("MiniProgram: %v", err)
	}
	wantAliceCorp1(t, res)
	wantAMR(t, res, resolve.AMRMiniProgram)
}

func TestQR(t *testing.T) {
	e := newEnv(t, demoConfig())
	code := e.sim.IssueCode(dt.CodeOAuth, dt.DemoAppKey, dt.DemoCorpID, aliceCorp1)
	res, err := e.r.QR(t.Context(), dt.DemoAppKey, code, "")
	if err != nil {
		t.Fatalf("QR: %v", err)
	}
	wantAliceCorp1(t, res)
	wantAMR(t, res, resolve.AMROAuth2)
	if res.Identity.Profile.Nick != "Alice" {
		t.Errorf("Nick = %q, want E3's %q", res.Identity.Profile.Nick, "Alice")
	}
}

func TestQRUnknownClient(t *testing.T) {
	e := newEnv(t, demoConfig())
	_, err := e.r.QR(t.Context(), "dingunknownunknown00", "code", "")
	if !errors.Is(err, resolve.ErrUnknownClient) {
		t.Errorf("QR(unknown app) = %v, want ErrUnknownClient", err)
	}
}

func TestSNS(t *testing.T) {
	e := newEnv(t, demoConfig())
	code := e.sim.IssueCode(dt.CodeSNS, dt.DemoLoginAppID, dt.DemoCorpID, aliceCorp1)
	res, err := e.r.SNS(t.Context(), dt.DemoLoginAppID, code, dt.DemoCorpID)
	if err != nil {
		t.Fatalf("SNS: %v", err)
	}
	wantAliceCorp1(t, res)
	wantAMR(t, res, resolve.AMRSNS)
	if res.Identity.Profile.Nick != "Alice" {
		t.Errorf("Nick = %q, want E12's %q", res.Identity.Profile.Nick, "Alice")
	}
}

func TestSNSWithoutHintFindsTheCorp(t *testing.T) {
	e := newEnv(t, demoConfig())
	code := e.sim.IssueCode(dt.CodeSNS, dt.DemoLoginAppID, dt.DemoCorp2ID, bob)
	res, err := e.r.SNS(t.Context(), dt.DemoLoginAppID, code, "")
	if err != nil {
		t.Fatalf("SNS: %v", err)
	}
	if res.CorpID != dt.DemoCorp2ID || !res.Member || res.Identity.UserID != bob {
		t.Errorf("SNS without hint = corp %q member %v user %q; want corp 2, member, %q",
			res.CorpID, res.Member, res.Identity.UserID, bob)
	}
}

func TestAdmin(t *testing.T) {
	e := newEnv(t, demoConfig())
	code := e.sim.IssueCode(dt.CodeSSO, "", dt.DemoCorpID, zhangsan)
	res, err := e.r.Admin(t.Context(), resolve.AdminSelector{CorpID: dt.DemoCorpID}, code)
	if err != nil {
		t.Fatalf("Admin: %v", err)
	}
	wantAMR(t, res, resolve.AMRAdminConsole)
	id := res.Identity
	if id.CorpID != dt.DemoCorpID || id.UserID != zhangsan || id.UnionID != "Zs3nGkT8pQ2wXc5vBn7mLa9dFiEiE" {
		t.Errorf("identity = (%q, %q, %q), want corp 1, %q and the unionid from E8", id.CorpID, id.UserID, id.UnionID, zhangsan)
	}
	p := id.Profile
	if !p.AppAdmin || !p.Admin || p.Name != "张三" || p.JobNumber != "YQ001" || !res.Directory {
		t.Errorf("profile = %+v (directory %v), want app admin + admin 张三 YQ001 from the directory", p, res.Directory)
	}
	if len(p.Departments) != 1 || p.Departments[0].Path != "研发部" {
		t.Errorf("Departments = %+v, want 研发部", p.Departments)
	}
}

func TestAdminSelector(t *testing.T) {
	e := newEnv(t, demoConfig())
	if _, err := e.r.Admin(t.Context(), resolve.AdminSelector{}, "code"); !errors.Is(err, resolve.ErrNoSSO) {
		t.Errorf("Admin(no selector, two SSO configs) = %v, want ErrNoSSO", err)
	}
	if _, err := e.r.Admin(t.Context(), resolve.AdminSelector{Key: "nope"}, "code"); !errors.Is(err, resolve.ErrNoSSO) {
		t.Errorf("Admin(unknown key) = %v, want ErrNoSSO", err)
	}
	code := e.sim.IssueCode(dt.CodeSSO, "", dt.DemoCorp2ID, bob)
	res, err := e.r.Admin(t.Context(), resolve.AdminSelector{Key: dt.DemoApp2Key}, code)
	if err != nil {
		t.Fatalf("Admin(by app key): %v", err)
	}
	if res.Identity.UserID != bob || res.CorpID != dt.DemoCorp2ID {
		t.Errorf("Admin(by app key) = %q in %q, want %q in corp 2", res.Identity.UserID, res.CorpID, bob)
	}
}

// Without an app token for the administrator's corp, the identity is
// (corp, userId) with the SSO profile.
func TestAdminWithoutAppToken(t *testing.T) {
	cfg := resolve.Config{
		Corps: demoConfig().Corps[1:],
		Suites: []resolve.Suite{{SuiteKey: dt.DemoSuiteKey, SuiteSecret: dt.DemoSuiteSecret, Ticket: dt.DemoSuiteTicket,
			Corps:     []resolve.SuiteCorp{{CorpID: dt.DemoCorp2ID}},
			SSOCorpID: dt.DemoCorpID, SSOSecret: dt.DemoSSOSecret}},
	}
	e := newEnv(t, cfg)
	code := e.sim.IssueCode(dt.CodeSSO, "", dt.DemoCorpID, zhangsan)
	res, err := e.r.Admin(t.Context(), resolve.AdminSelector{Key: dt.DemoSuiteKey}, code)
	if err != nil {
		t.Fatalf("Admin: %v", err)
	}
	id := res.Identity
	if id.CorpID != dt.DemoCorpID || id.UserID != zhangsan || id.UnionID != "" || res.Directory {
		t.Errorf("identity = (%q, %q, %q) directory %v, want (corp 1, %q, \"\") without directory",
			id.CorpID, id.UserID, id.UnionID, res.Directory, zhangsan)
	}
	if !id.Profile.AppAdmin || id.Profile.Name != "张三" || id.Profile.CorpName != dt.DemoCorpName {
		t.Errorf("profile = %+v, want the SSO profile with AppAdmin", id.Profile)
	}
	if n := e.sim.Calls(dt.EndpointUserGet); n != 0 {
		t.Errorf("E8 calls = %d, want 0 without an app token", n)
	}
}

// The same person through every flow and every corp: one subject, a
// binding per corp.
func TestSameSubjectAcrossFlowsAndCorps(t *testing.T) {
	e := newEnv(t, demoConfig())
	ctx := t.Context()
	var subjects []string
	login := func(name string, res *resolve.Result, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		subjects = append(subjects, complete(t, e.store, res))
	}
	// Admin first: (corp, userId) and the unionid learned from E8.
	res, err := e.r.Admin(ctx, resolve.AdminSelector{CorpID: dt.DemoCorpID},
		e.sim.IssueCode(dt.CodeSSO, "", dt.DemoCorpID, aliceCorp1))
	login("admin", res, err)
	res, err = e.r.QR(ctx, dt.DemoAppKey, e.sim.IssueCode(dt.CodeOAuth, dt.DemoAppKey, dt.DemoCorpID, aliceCorp1), "")
	login("qr", res, err)
	res, err = e.r.SNS(ctx, dt.DemoLoginAppID, e.sim.IssueCode(dt.CodeSNS, dt.DemoLoginAppID, dt.DemoCorpID, aliceCorp1), dt.DemoCorpID)
	login("sns", res, err)
	res, err = e.r.Workspace(ctx, dt.DemoCorpID, e.sim.IssueCode(dt.CodeJSAPI, dt.DemoAppKey, dt.DemoCorpID, aliceCorp1))
	login("workspace", res, err)
	res, err = e.r.Workspace(ctx, dt.DemoCorp2ID, e.sim.IssueCode(dt.CodeJSAPI, dt.DemoApp2Key, dt.DemoCorp2ID, aliceCorp2))
	login("workspace corp 2", res, err)
	res, err = e.r.QR(ctx, dt.DemoApp2Key, e.sim.IssueCode(dt.CodeOAuth, dt.DemoApp2Key, dt.DemoCorp2ID, aliceCorp2), "")
	login("qr corp 2", res, err)

	for i, s := range subjects {
		if s != subjects[0] {
			t.Errorf("login %d: subject %q, want %q (the first login's)", i, s, subjects[0])
		}
	}
	bs, err := e.store.ListBindings(ctx, subjects[0])
	if err != nil {
		t.Fatal(err)
	}
	type b struct{ corp, user, union string }
	var got []b
	for _, x := range bs {
		got = append(got, b{x.CorpID, x.UserID, x.UnionID})
	}
	want := []b{{dt.DemoCorpID, aliceCorp1, dt.DemoSharedUnionID}, {dt.DemoCorp2ID, aliceCorp2, dt.DemoSharedUnionID}}
	slices.SortFunc(want, func(x, y b) int { return compare(x.corp, y.corp) })
	if !reflect.DeepEqual(got, want) {
		t.Errorf("bindings = %+v, want %+v", got, want)
	}
	// Another person gets another subject.
	res, err = e.r.Workspace(ctx, dt.DemoCorpID, e.sim.IssueCode(dt.CodeJSAPI, dt.DemoAppKey, dt.DemoCorpID, zhangsan))
	if err != nil {
		t.Fatal(err)
	}
	if s := complete(t, e.store, res); s == subjects[0] {
		t.Errorf("张三 got Alice's subject")
	}
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestNonMember(t *testing.T) {
	e := newEnv(t, demoConfig())
	// Bob is only in corp 2; he logs in with the legacy app naming corp 1.
	code := e.sim.IssueCode(dt.CodeSNS, dt.DemoLoginAppID, dt.DemoCorp2ID, bob)
	res, err := e.r.SNS(t.Context(), dt.DemoLoginAppID, code, dt.DemoCorpID)
	if err != nil {
		t.Fatalf("SNS: %v", err)
	}
	if res.Member || res.Directory || res.CorpID != dt.DemoCorpID {
		t.Errorf("Member, Directory, CorpID = %v, %v, %q; want false, false, corp 1", res.Member, res.Directory, res.CorpID)
	}
	id := res.Identity
	if id.CorpID != "" || id.UserID != "" || id.UnionID != "Bs2mKt6hYu8jNb3vCx5zLq7wPeiEiE" || id.Profile.Nick != "Bob" {
		t.Errorf("identity = %+v, want Bob's unionid alone", id)
	}
	var pe *resolve.PolicyError
	if err := e.r.Check(res, storage.ClientPolicy{MembersOnly: true}); !errors.As(err, &pe) || pe.Reason != resolve.NotMember || pe.CorpID != dt.DemoCorpID {
		t.Errorf("Check(members only) = %v, want NotMember in corp 1", err)
	}
	if err := e.r.Check(res, storage.ClientPolicy{}); err != nil {
		t.Errorf("Check(open policy) = %v, want nil", err)
	}
	// The non-member's identity binds to Bob's existing subject.
	first := complete(t, e.store, must(e.r.Workspace(t.Context(), dt.DemoCorp2ID,
		e.sim.IssueCode(dt.CodeJSAPI, dt.DemoApp2Key, dt.DemoCorp2ID, bob))))
	if got := complete(t, e.store, res); got != first {
		t.Errorf("non-member login subject %q, want Bob's %q", got, first)
	}
}

func must(res *resolve.Result, err error) *resolve.Result {
	if err != nil {
		panic(err)
	}
	return res
}

func TestInactive(t *testing.T) {
	e := newEnv(t, demoConfig())
	code := e.sim.IssueCode(dt.CodeJSAPI, dt.DemoAppKey, dt.DemoCorpID, wangwu)
	res, err := e.r.Workspace(t.Context(), dt.DemoCorpID, code)
	if err != nil {
		t.Fatalf("Workspace: %v", err)
	}
	if res.Identity.Profile.Active {
		t.Error("王五 is Active, want inactive")
	}
	var pe *resolve.PolicyError
	if err := e.r.Check(res, storage.ClientPolicy{}); !errors.As(err, &pe) || pe.Reason != resolve.Inactive {
		t.Errorf("Check = %v, want Inactive", err)
	}
	if err := e.r.Check(res, storage.ClientPolicy{AllowInactive: true}); err != nil {
		t.Errorf("Check(AllowInactive) = %v, want nil", err)
	}
}

func TestReplayedWorkspaceCode(t *testing.T) {
	e := newEnv(t, demoConfig())
	code := e.sim.IssueCode(dt.CodeJSAPI, dt.DemoAppKey, dt.DemoCorpID, aliceCorp1)
	if _, err := e.r.Workspace(t.Context(), dt.DemoCorpID, code); err != nil {
		t.Fatalf("first Workspace: %v", err)
	}
	_, err := e.r.Workspace(t.Context(), dt.DemoCorpID, code)
	if !errors.Is(err, dingtalk.KindCodeInvalid) {
		t.Fatalf("replayed Workspace = %v, want KindCodeInvalid", err)
	}
	var ae *dingtalk.APIError
	if !errors.As(err, &ae) || ae.Code != "40078" {
		t.Errorf("replayed Workspace error = %v, want *dingtalk.APIError 40078", err)
	}
	// A code of another flow is refused the same way.
	qr := e.sim.IssueCode(dt.CodeOAuth, dt.DemoAppKey, dt.DemoCorpID, aliceCorp1)
	if _, err := e.r.Workspace(t.Context(), dt.DemoCorpID, qr); !errors.Is(err, dingtalk.KindCodeInvalid) {
		t.Errorf("Workspace(OAuth code) = %v, want KindCodeInvalid", err)
	}
}

func TestWorkspaceUnknownCorp(t *testing.T) {
	e := newEnv(t, demoConfig())
	if _, err := e.r.Workspace(t.Context(), "dingnotconfigured", "code"); !errors.Is(err, resolve.ErrUnknownCorp) {
		t.Errorf("Workspace(unknown corp) = %v, want ErrUnknownCorp", err)
	}
}

// Outside the app's visible range is not "not a member": the error comes
// back so the page can ask the administrator to widen the range.
func TestOutsideVisibleRange(t *testing.T) {
	const key = "dingvisiblerange0001"
	secret := strings.Repeat("v", 64)
	cfg := resolve.Config{Corps: []resolve.Corp{{CorpID: dt.DemoCorpID, AppKey: key, AppSecret: secret, AgentID: 1111111111}}}
	e := newEnv(t, cfg)
	e.sim.AddApp(dt.App{CorpID: dt.DemoCorpID, Name: "narrow", AppKey: key, AppSecret: secret, AgentID: 1111111111,
		Permissions: dt.AllPermissions(), VisibleUserIDs: []string{zhangsan}})
	_, err := e.r.QR(t.Context(), key, e.sim.IssueCode(dt.CodeOAuth, key, dt.DemoCorpID, aliceCorp1), "")
	var ae *dingtalk.APIError
	if !errors.Is(err, dingtalk.KindNotMember) || !errors.As(err, &ae) || ae.Code != "50002" {
		t.Errorf("QR outside the visible range = %v, want the 50002 error", err)
	}
	_, err = e.r.Workspace(t.Context(), dt.DemoCorpID, e.sim.IssueCode(dt.CodeJSAPI, key, dt.DemoCorpID, aliceCorp1))
	if !errors.Is(err, dingtalk.KindNotMember) {
		t.Errorf("Workspace outside the visible range = %v, want KindNotMember", err)
	}
	if _, err := e.r.QR(t.Context(), key, e.sim.IssueCode(dt.CodeOAuth, key, dt.DemoCorpID, zhangsan), ""); err != nil {
		t.Errorf("QR inside the visible range: %v", err)
	}
}

// A suite-only deployment finds the suite's SSO configuration by a corp the
// suite serves.
func TestAdminSelectorBySuiteCorp(t *testing.T) {
	cfg := resolve.Config{Suites: []resolve.Suite{{SuiteKey: dt.DemoSuiteKey, SuiteSecret: dt.DemoSuiteSecret,
		Ticket: dt.DemoSuiteTicket, Corps: []resolve.SuiteCorp{{CorpID: dt.DemoCorpID}, {CorpID: dt.DemoCorp2ID}},
		SSOCorpID: dt.DemoCorpID, SSOSecret: dt.DemoSSOSecret}}}
	e := newEnv(t, cfg)
	code := e.sim.IssueCode(dt.CodeSSO, "", dt.DemoCorpID, zhangsan)
	res, err := e.r.Admin(t.Context(), resolve.AdminSelector{CorpID: dt.DemoCorp2ID}, code)
	if err != nil {
		t.Fatalf("Admin: %v", err)
	}
	if res.Identity.UserID != zhangsan || res.Identity.UnionID == "" || !res.Identity.Profile.AppAdmin {
		t.Errorf("identity = %+v, want 张三 with the unionid from the suite's corp token", res.Identity)
	}
	if n := e.sim.Calls(dt.EndpointCorpAccessToken); n != 1 {
		t.Errorf("suite corp token fetches = %d, want 1", n)
	}
}
