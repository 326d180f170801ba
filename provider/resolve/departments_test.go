package resolve_test

import (
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk"
	dt "github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
	"github.com/dingbridge/dingbridge/provider/resolve"
	"github.com/dingbridge/dingbridge/storage"
)

func TestDepartmentCacheExpires(t *testing.T) {
	e := newEnv(t, demoConfig())
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	cfg := demoConfig()
	cfg.DepartmentCacheTTL = 30 * time.Minute
	r, err := resolve.New(cfg, e.dt, e.store, resolve.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	login := func() {
		t.Helper()
		code := e.sim.IssueCode(dt.CodeJSAPI, dt.DemoAppKey, dt.DemoCorpID, aliceCorp1)
		if _, err := r.Workspace(t.Context(), dt.DemoCorpID, code); err != nil {
			t.Fatal(err)
		}
	}
	login()
	row, err := e.store.GetCache(t.Context(), "dept:"+dt.DemoCorpID+":4295067297:zh_CN", time.Now())
	if err != nil || !strings.Contains(string(row.Value), "后端组") {
		t.Errorf("cached department = %s, %v; want 后端组", row.Value, err)
	}
	login()
	if n := e.sim.Calls(dt.EndpointDepartmentGet); n != 3 {
		t.Errorf("E22 calls after two logins = %d, want 3 (cached)", n)
	}
	offset.Store(int64(31 * time.Minute))
	login()
	if n := e.sim.Calls(dt.EndpointDepartmentGet); n != 6 {
		t.Errorf("E22 calls after the TTL = %d, want 6 (read again)", n)
	}
}

func TestDepartmentsInEnglish(t *testing.T) {
	cfg := demoConfig()
	cfg.Language = resolve.LanguageEN
	e := newEnv(t, cfg)
	code := e.sim.IssueCode(dt.CodeJSAPI, dt.DemoApp2Key, dt.DemoCorp2ID, bob)
	res, err := e.r.Workspace(t.Context(), dt.DemoCorp2ID, code)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.GetCache(t.Context(), "dept:"+dt.DemoCorp2ID+":5368709121:en_US", time.Now()); err != nil {
		t.Errorf("no en_US cache entry for Sales: %v", err)
	}
	want := []storage.Department{
		{ID: 1, Name: dt.DemoCorp2Name, Path: dt.DemoCorp2Name},
		{ID: deptSales, Name: "Sales", ParentIDs: []int64{1}, Path: "Sales"},
	}
	if got := res.Identity.Profile.Departments; !slices.EqualFunc(got, want, func(a, b storage.Department) bool {
		return a.ID == b.ID && a.Name == b.Name && a.Path == b.Path && slices.Equal(a.ParentIDs, b.ParentIDs)
	}) {
		t.Errorf("Departments = %+v, want %+v", got, want)
	}
}

// An app without the department permission still logs people in; the
// departments carry ids only.
func TestDepartmentsWithoutPermission(t *testing.T) {
	const key, secret = "dingnodeptperm000001", "NoDeptPermSecret0000000000000000000000000000000000000000000000000"
	var perms []string
	for _, p := range dt.AllPermissions() {
		if p != dt.PermDepartmentList {
			perms = append(perms, p)
		}
	}
	cfg := resolve.Config{Corps: []resolve.Corp{{CorpID: dt.DemoCorpID, AppKey: key, AppSecret: secret[:64], AgentID: 1111111111}}}
	e := newEnv(t, cfg)
	e.sim.AddApp(dt.App{CorpID: dt.DemoCorpID, Name: "no departments", AppKey: key, AppSecret: secret[:64],
		AgentID: 1111111111, Permissions: perms})
	code := e.sim.IssueCode(dt.CodeJSAPI, key, dt.DemoCorpID, aliceCorp1)
	res, err := e.r.Workspace(t.Context(), dt.DemoCorpID, code)
	if err != nil {
		t.Fatalf("Workspace: %v", err)
	}
	deps := res.Identity.Profile.Departments
	if len(deps) != 2 || deps[0].ID != deptBackend || deps[0].Name != "" || deps[1].ID != deptMkt {
		t.Errorf("Departments = %+v, want ids only", deps)
	}
	if e.sim.Calls(dt.EndpointListParentByUser) != 1 {
		t.Errorf("E23 calls = %d, want 1 fallback", e.sim.Calls(dt.EndpointListParentByUser))
	}
}

// Throttling on department reads fails the login rather than refusing the
// person for a missing department.
func TestDepartmentsThrottled(t *testing.T) {
	e := newEnv(t, demoConfig())
	e.sim.Fail(dt.EndpointDepartmentGet, dt.Fault{Kind: dt.FaultThrottle, Times: dt.Always})
	code := e.sim.IssueCode(dt.CodeJSAPI, dt.DemoAppKey, dt.DemoCorpID, aliceCorp1)
	_, err := e.r.Workspace(t.Context(), dt.DemoCorpID, code)
	if !dingtalk.IsKind(err, dingtalk.KindThrottled) {
		t.Errorf("Workspace with throttled E22 = %v, want KindThrottled", err)
	}
}

// A Resolver keeps the departments it cached in memory: once their rows are
// gone from the cache table, its next login still makes no E22 call, while
// a second Resolver on the same storage has to read them again.
func TestDepartmentsKeptInMemory(t *testing.T) {
	e := newEnv(t, demoConfig())
	login := func(r *resolve.Resolver) {
		t.Helper()
		code := e.sim.IssueCode(dt.CodeJSAPI, dt.DemoAppKey, dt.DemoCorpID, aliceCorp1)
		if _, err := r.Workspace(t.Context(), dt.DemoCorpID, code); err != nil {
			t.Fatal(err)
		}
	}
	login(e.r)
	calls := e.sim.Calls(dt.EndpointDepartmentGet)
	if calls == 0 {
		t.Fatal("first login made no E22 call")
	}
	for _, id := range []string{"1", "4295067297", "4295067296"} {
		if err := e.store.DeleteCache(t.Context(), "dept:"+dt.DemoCorpID+":"+id+":zh_CN"); err != nil {
			t.Fatal(err)
		}
	}
	login(e.r)
	if n := e.sim.Calls(dt.EndpointDepartmentGet); n != calls {
		t.Errorf("E22 calls after a warm login = %d, want %d (kept in memory)", n, calls)
	}
	other, err := resolve.New(demoConfig(), e.dt, e.store, resolve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	login(other)
	if n := e.sim.Calls(dt.EndpointDepartmentGet); n <= calls {
		t.Errorf("E22 calls after a login through a new Resolver = %d, want more than %d", n, calls)
	}
}
