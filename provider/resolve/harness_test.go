package resolve_test

import (
	"crypto/rand"
	"path/filepath"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk"
	dt "github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
	"github.com/dingbridge/dingbridge/provider/resolve"
	"github.com/dingbridge/dingbridge/storage"
	"github.com/dingbridge/dingbridge/storage/sqlite"
)

// Departments of the demo directory.
const (
	deptRD      int64 = 4295067296 // 研发部, under the root
	deptBackend int64 = 4295067297 // 后端组, under 研发部
	deptMkt     int64 = 4295067298 // 市场部, under the root
	deptSales   int64 = 5368709121 // Sales (corp 2)
)

// Demo people.
const (
	aliceCorp1 = "alice.wang"
	aliceCorp2 = "0150123456781234"
	zhangsan   = "manager4721"
	lisi       = "boss0001"
	wangwu     = "wangwu"
	bob        = "bob.smith"
)

// env is one test world: a simulator, a store, and a resolver over both.
type env struct {
	sim   *dt.Server
	store storage.Storage
	key   []byte
	dt    *dingtalk.Client
	r     *resolve.Resolver
}

func newStore(t *testing.T) storage.Storage {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db.sqlite"), sqlite.Options{})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate sqlite: %v", err)
	}
	return s
}

// demoConfig serves both demo corps through their internal apps, with SSO,
// and the demo login app.
func demoConfig() resolve.Config {
	return resolve.Config{
		Corps: []resolve.Corp{
			{CorpID: dt.DemoCorpID, Name: dt.DemoCorpName, AppKey: dt.DemoAppKey, AppSecret: dt.DemoAppSecret,
				AgentID: dt.DemoAgentID, SSOSecret: dt.DemoSSOSecret},
			{CorpID: dt.DemoCorp2ID, Name: dt.DemoCorp2Name, AppKey: dt.DemoApp2Key, AppSecret: dt.DemoApp2Secret,
				AgentID: dt.DemoAgent2ID, SSOSecret: dt.DemoSSO2Secret},
		},
		LoginApps: []resolve.LoginApp{{AppID: dt.DemoLoginAppID, AppSecret: dt.DemoLoginAppSecret}},
	}
}

// newEnv starts the demo simulator and a resolver for cfg on SQLite.
func newEnv(t *testing.T, cfg resolve.Config, opts ...dt.Option) *env {
	t.Helper()
	return newEnvOn(t, newStore(t), cfg, opts...)
}

// newEnvOn is newEnv on a given store.
func newEnvOn(t *testing.T, store storage.Storage, cfg resolve.Config, opts ...dt.Option) *env {
	t.Helper()
	sim := dt.NewServer(opts...)
	t.Cleanup(sim.Close)
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	e := &env{sim: sim, store: store, key: key}
	e.dt, e.r = e.resolver(t, cfg)
	return e
}

// resolver builds another DingTalk client and resolver on e's store, as a
// second replica would.
func (e *env) resolver(t *testing.T, cfg resolve.Config) (*dingtalk.Client, *resolve.Resolver) {
	t.Helper()
	c := dingtalk.NewClient(dingtalk.Config{
		Endpoints:  dingtalk.Endpoints{OAPI: e.sim.URL, API: e.sim.URL, Login: e.sim.URL},
		TokenStore: resolve.NewTokenStore(e.store, e.key),
	})
	r, err := resolve.New(cfg, c, e.store, resolve.Options{})
	if err != nil {
		t.Fatalf("resolve.New: %v", err)
	}
	return c, r
}

// calls is the number of requests the simulator served, all endpoints.
func (e *env) calls() map[dt.Endpoint]int {
	out := map[dt.Endpoint]int{}
	for _, ep := range allEndpoints {
		if n := e.sim.Calls(ep); n > 0 {
			out[ep] = n
		}
	}
	return out
}

var allEndpoints = []dt.Endpoint{
	dt.EndpointAuthorize, dt.EndpointUserAccessToken, dt.EndpointContactUser, dt.EndpointGetToken,
	dt.EndpointAccessToken, dt.EndpointCorpToken, dt.EndpointGetUserInfo, dt.EndpointUserGet,
	dt.EndpointGetByUnionID, dt.EndpointQRConnect, dt.EndpointSNSAuthorize, dt.EndpointSNSUserInfo,
	dt.EndpointSSOGetToken, dt.EndpointSSOAccessToken, dt.EndpointSSOGetUserInfo, dt.EndpointSSOUserInfo,
	dt.EndpointGetSuiteToken, dt.EndpointSuiteAccessToken, dt.EndpointGetCorpToken, dt.EndpointCorpAccessToken,
	dt.EndpointAuthInfo, dt.EndpointDepartmentGet, dt.EndpointListParentByUser, dt.EndpointListParentByDept,
	dt.EndpointListSub, dt.EndpointListSubID, dt.EndpointJSAPIAuthCode,
}

func total(m map[dt.Endpoint]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// complete binds a result's identity the way the login step does and
// returns the subject.
func complete(t *testing.T, s storage.Storage, res *resolve.Result) string {
	t.Helper()
	id := res.Identity
	u, _, err := s.CompleteLogin(t.Context(), storage.LoginCompletion{
		Identity:   &id,
		NewSubject: rand.Text(),
		Session:    storage.Session{ID: rand.Text(), CorpID: res.CorpID, ExpiresAt: time.Now().Add(time.Hour)},
		AuthTime:   time.Now(),
		AMR:        res.AMR,
		Now:        time.Now(),
	})
	if err != nil {
		t.Fatalf("CompleteLogin(%+v): %v", res.Identity, err)
	}
	return u.Subject
}
