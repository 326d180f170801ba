package dingtalktest_test

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
)

func TestLoadDirectoryYAML(t *testing.T) {
	t.Parallel()
	d, err := dingtalktest.LoadDirectory("testdata/directory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Corps) != 1 || len(d.Users) != 2 || len(d.Apps) != 1 || len(d.LoginApps) != 1 {
		t.Fatalf("loaded %+v", d)
	}
	if d.Users[0].DeptIDs[0] != 4294967397 || !d.Users[1].Inactive || d.Apps[0].AgentID != 1122334455 {
		t.Errorf("fields not decoded: %+v", d.Users)
	}

	// The loaded directory serves requests.
	srv := newServer(t, dingtalktest.WithDirectory(d))
	tok := appToken(t, srv, "dingtestappkey000001", d.Apps[0].AppSecret)
	r := topapi(t, srv, "/topapi/v2/user/get", tok, map[string]string{"userid": "zhao.liu"})
	wantOAPI(t, r, 0)
	if r.str("result", "name") != "赵六" || r.str("result", "state_code") != "86" {
		t.Errorf("E8 = %s", r.raw)
	}
	// grace has no department, so she is outside the app's scope.
	wantOAPI(t, topapi(t, srv, "/topapi/v2/user/get", tok, map[string]string{"userid": "grace"}), 50002)
}

func TestLoadDirectoryErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if _, err := dingtalktest.LoadDirectory(write("d.toml", "")); err == nil {
		t.Error("unknown extension accepted")
	}
	if _, err := dingtalktest.LoadDirectory(write("typo.yaml", "corpz: []\n")); err == nil {
		t.Error("unknown YAML field accepted")
	}
	_, err := dingtalktest.LoadDirectory(write("bad.json", `{"corps":[{"corp_id":"a","name":"A"}],
		"users":[{"corp_id":"b","user_id":"u","union_id":"x"},{"corp_id":"a","user_id":"u","union_id":"x","dept_id_list":[7]}]}`))
	if err == nil || !strings.Contains(err.Error(), `unknown corp_id "b"`) || !strings.Contains(err.Error(), "unknown department 7") {
		t.Errorf("validation error = %v", err)
	}
	d, err := dingtalktest.LoadDirectory(write("ok.json", `{"corps":[{"corp_id":"a","name":"A"}]}`))
	if err != nil || d.Corps[0].Name != "A" {
		t.Errorf("JSON load = %+v, %v", d, err)
	}
}

func TestDemoDirectory(t *testing.T) {
	t.Parallel()
	d := dingtalktest.DemoDirectory()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(d.Corps) != 2 || len(d.Suites) != 1 || len(d.LoginApps) != 1 {
		t.Fatalf("demo shape: %d corps, %d suites, %d login apps", len(d.Corps), len(d.Suites), len(d.LoginApps))
	}
	for _, a := range d.Apps {
		if len(a.AppKey) != 20 || len(a.AppSecret) != 64 || a.AgentID < 1e9 || a.AgentID > 1e10-1 {
			t.Errorf("app %s: key %d chars, secret %d chars, agentId %d", a.AppKey, len(a.AppKey), len(a.AppSecret), a.AgentID)
		}
	}
	if s := d.Suites[0]; len(s.AuthorizedCorps) != 2 || len(s.SuiteSecret) != 64 {
		t.Errorf("suite = %+v", s)
	}
	var shared, inactive, admins, bosses int
	corpsOf := map[string][]string{}
	for _, u := range d.Users {
		corpsOf[u.UnionID] = append(corpsOf[u.UnionID], u.CorpID)
		if u.Inactive {
			inactive++
		}
		if u.Admin {
			admins++
		}
		if u.Boss {
			bosses++
		}
	}
	for _, cs := range corpsOf {
		if len(cs) == 2 && cs[0] != cs[1] {
			shared++
		}
	}
	if shared != 1 || inactive != 1 || admins == 0 || bosses != 1 {
		t.Errorf("demo people: shared %d, inactive %d, admins %d, bosses %d", shared, inactive, admins, bosses)
	}
	big := slices.ContainsFunc(d.Departments, func(dp dingtalktest.Department) bool { return dp.ID > 1<<31 })
	if !big {
		t.Error("no department id above 2^31")
	}
}

func TestSimulatorStandalone(t *testing.T) {
	t.Parallel()
	sim := dingtalktest.NewSimulator(dingtalktest.DemoDirectory())
	ts := httptest.NewServer(sim)
	defer ts.Close()
	resp, err := ts.Client().Get(ts.URL + "/gettoken?appkey=" + dingtalktest.DemoAppKey + "&appsecret=" + dingtalktest.DemoAppSecret)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// Directory returns a copy.
	d := sim.Directory()
	d.Users[0].Name = "changed"
	if sim.Directory().Users[0].Name == "changed" {
		t.Error("Directory exposes internal state")
	}
	if d.Apps[0].AppSecret != dingtalktest.DemoAppSecret {
		t.Error("Directory hides secrets; it should return them for printing")
	}
}

func TestSetupMistakesPanic(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic", name)
			}
		}()
		f()
	}
	mustPanic("AddApp unknown corp", func() { srv.AddApp(dingtalktest.App{CorpID: "nope", AppKey: "k"}) })
	mustPanic("AddApp duplicate key", func() {
		srv.AddApp(dingtalktest.App{CorpID: dingtalktest.DemoCorpID, AppKey: dingtalktest.DemoAppKey})
	})
	mustPanic("AddUser duplicate", func() {
		srv.AddUser(dingtalktest.User{CorpID: dingtalktest.DemoCorpID, UserID: "manager4721", UnionID: "x"})
	})
	mustPanic("IssueCode unknown user", func() { srv.IssueCode(dingtalktest.CodeJSAPI, "", dingtalktest.DemoCorpID, "ghost") })
	mustPanic("SetClientUser unknown", func() { srv.SetClientUser(dingtalktest.DemoCorp2ID, "manager4721") })
	mustPanic("NewSimulator invalid", func() {
		dingtalktest.NewSimulator(dingtalktest.Directory{Apps: []dingtalktest.App{{CorpID: "x", AppKey: "k"}}})
	})

	// The documented conveniences of AddUser.
	u := srv.AddUser(dingtalktest.User{UnionID: "u1", Name: "Ada"})
	if u.CorpID != dingtalktest.DemoCorpID || u.UserID == "" || len(u.DeptIDs) != 1 {
		t.Errorf("AddUser defaults = %+v", u)
	}
}
