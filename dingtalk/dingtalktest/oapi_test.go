package dingtalktest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
)

const (
	rdDept      = 4295067296
	backendDept = 4295067297
	mktDept     = 4295067298
)

func TestGetUserInfoByCode(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	tok := demoToken(t, srv)
	code := srv.IssueCode(dingtalktest.CodeJSAPI, dingtalktest.DemoAppKey, dingtalktest.DemoCorpID, "manager4721")
	r := topapi(t, srv, "/topapi/v2/user/getuserinfo", tok, map[string]string{"code": code})
	wantOAPI(t, r, 0)
	if r.str("result", "userid") != "manager4721" || r.str("result", "name") != "张三" || r.str("result", "sys") != "true" ||
		r.str("result", "sys_level") != "1" || r.str("result", "unionid") == "" || !r.has("request_id") {
		t.Fatalf("E7 reply = %s", r.raw)
	}
	// Single use.
	wantOAPI(t, topapi(t, srv, "/topapi/v2/user/getuserinfo", tok, map[string]string{"code": code}), 40078)

	boss := srv.IssueCode(dingtalktest.CodeJSAPI, "", dingtalktest.DemoCorpID, "boss0001")
	r = topapi(t, srv, "/topapi/v2/user/getuserinfo", tok, map[string]string{"code": boss})
	if r.str("result", "sys_level") != "100" || r.str("result", "sys") != "false" {
		t.Errorf("boss E7 = %s", r.raw)
	}
}

func TestCodeKindsAndAppsKeptApart(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	tok := demoToken(t, srv)
	tok2 := appToken(t, srv, dingtalktest.DemoApp2Key, dingtalktest.DemoApp2Secret)
	e7 := func(tok, code string) reply {
		return topapi(t, srv, "/topapi/v2/user/getuserinfo", tok, map[string]string{"code": code})
	}
	sso := srv.IssueCode(dingtalktest.CodeSSO, "", dingtalktest.DemoCorpID, "manager4721")
	wantOAPI(t, e7(tok, sso), 40078)
	oauth := srv.IssueCode(dingtalktest.CodeOAuth, dingtalktest.DemoAppKey, dingtalktest.DemoCorpID, "manager4721")
	wantOAPI(t, e7(tok, oauth), 40078)
	sns := srv.IssueCode(dingtalktest.CodeSNS, dingtalktest.DemoLoginAppID, dingtalktest.DemoCorpID, "manager4721")
	wantOAPI(t, e7(tok, sns), 40078)

	// A code of app 1 does not work for app 2 (another corp) and is not
	// burnt by the failed attempt.
	c := srv.IssueCode(dingtalktest.CodeJSAPI, dingtalktest.DemoAppKey, dingtalktest.DemoCorpID, "alice.wang")
	wantOAPI(t, e7(tok2, c), 40078)
	wantOAPI(t, e7(tok, c), 0)

	// The kinds stay valid where they belong: the SSO code still works at E15.
	ssoTok := get(t, srv, "/sso/gettoken?corpid="+dingtalktest.DemoCorpID+"&corpsecret="+dingtalktest.DemoSSOSecret).str("access_token")
	wantOAPI(t, get(t, srv, "/sso/getuserinfo?access_token="+ssoTok+"&code="+sso), 0)
}

func TestCodeExpiry(t *testing.T) {
	t.Parallel()
	clk := &fixedClock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	srv := newServer(t, dingtalktest.WithClock(clk.now))
	tok := demoToken(t, srv)
	fresh := srv.IssueCode(dingtalktest.CodeJSAPI, dingtalktest.DemoAppKey, dingtalktest.DemoCorpID, "manager4721")
	old := srv.IssueCode(dingtalktest.CodeJSAPI, dingtalktest.DemoAppKey, dingtalktest.DemoCorpID, "manager4721")
	clk.t = clk.t.Add(dingtalktest.CodeTTL - time.Second)
	wantOAPI(t, topapi(t, srv, "/topapi/v2/user/getuserinfo", tok, map[string]string{"code": fresh}), 0)
	clk.t = clk.t.Add(2 * time.Second)
	wantOAPI(t, topapi(t, srv, "/topapi/v2/user/getuserinfo", tok, map[string]string{"code": old}), 40078)
}

func restrictedApp(srv *dingtalktest.Server, key string, perms []string, depts []int64) string {
	secret := strings.Repeat("s", 64)
	srv.AddApp(dingtalktest.App{CorpID: dingtalktest.DemoCorpID, Name: key, AppKey: key, AppSecret: secret,
		AgentID: 1234567890, Permissions: perms, VisibleDeptIDs: depts})
	return secret
}

func TestVisibility(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	secret := restrictedApp(srv, "dingrdonly0000000001", dingtalktest.AllPermissions(), []int64{rdDept})
	tok := appToken(t, srv, "dingrdonly0000000001", secret)
	// alice is in 后端组, a sub-department of 研发部: visible.
	wantOAPI(t, topapi(t, srv, "/topapi/v2/user/get", tok, map[string]string{"userid": "alice.wang"}), 0)
	wantOAPI(t, topapi(t, srv, "/topapi/v2/user/get", tok, map[string]string{"userid": "boss0001"}), 50002)
	code := srv.IssueCode(dingtalktest.CodeJSAPI, "dingrdonly0000000001", dingtalktest.DemoCorpID, "wangwu")
	wantOAPI(t, topapi(t, srv, "/topapi/v2/user/getuserinfo", tok, map[string]string{"code": code}), 40079)
}

func TestUserGet(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	tok := demoToken(t, srv)
	r := topapi(t, srv, "/topapi/v2/user/get", tok, map[string]string{"userid": "alice.wang", "language": "zh_CN"})
	wantOAPI(t, r, 0)
	want := map[string]string{
		"userid": "alice.wang", "unionid": dingtalktest.DemoSharedUnionID, "name": "Alice Wang",
		"mobile": "13700137003", "state_code": "86", "email": "alice@example.com", "org_email": "alice.wang@yunqiao.example",
		"job_number": "YQ017", "title": "Backend Engineer", "active": "true", "admin": "false", "boss": "false",
		"dept_id_list": "[4295067297,4295067298]",
	}
	for k, v := range want {
		if got := r.str("result", k); got != v {
			t.Errorf("result.%s = %q, want %q", k, got, v)
		}
	}
	if !r.has("result", "hired_date") || !r.has("request_id") {
		t.Errorf("missing hired_date or request_id: %s", r.raw)
	}
	inactive := topapi(t, srv, "/topapi/v2/user/get", tok, map[string]string{"userid": "wangwu"})
	if inactive.str("result", "active") != "false" {
		t.Errorf("wangwu active = %q", inactive.str("result", "active"))
	}
	boss := topapi(t, srv, "/topapi/v2/user/get", tok, map[string]string{"userid": "boss0001"})
	if boss.str("result", "boss") != "true" {
		t.Errorf("boss0001 boss = %q", boss.str("result", "boss"))
	}
	wantOAPI(t, topapi(t, srv, "/topapi/v2/user/get", tok, map[string]string{"userid": "nobody"}), 60121)
	// A member of the other corp is not a member here.
	wantOAPI(t, topapi(t, srv, "/topapi/v2/user/get", tok, map[string]string{"userid": "bob.smith"}), 60121)
}

func TestUserGetPermissions(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	noContact := restrictedApp(srv, "dingnocontact0000001", []string{dingtalktest.PermBase, dingtalktest.PermGetMember}, nil)
	tok := appToken(t, srv, "dingnocontact0000001", noContact)
	srv.AddUser(dingtalktest.User{CorpID: dingtalktest.DemoCorpID, UserID: "desk42", UnionID: "Dk4Ql2mWn8sVb3cXz6aLp0oEiE",
		Name: "赵六", Mobile: "13500135005", Email: "zhaoliu@example.com", OrgEmail: "zhaoliu@yunqiao.example", WorkPlace: "杭州"})
	r := topapi(t, srv, "/topapi/v2/user/get", tok, map[string]string{"userid": "desk42"})
	wantOAPI(t, r, 0)
	// Reference E8: mobile needs the staff-mobile permission, email and
	// work_place the personal-info permission; §9: state_code and org_email
	// are not gated for internal apps.
	for _, k := range []string{"mobile", "email", "work_place"} {
		if r.has("result", k) {
			t.Errorf("result.%s present without permission: %s", k, r.raw)
		}
	}
	if r.str("result", "state_code") != "86" || r.str("result", "org_email") != "zhaoliu@yunqiao.example" {
		t.Errorf("state_code or org_email withheld from an internal app: %s", r.raw)
	}
	full := topapi(t, srv, "/topapi/v2/user/get", demoToken(t, srv), map[string]string{"userid": "desk42"})
	if full.str("result", "work_place") != "杭州" || full.str("result", "email") != "zhaoliu@example.com" {
		t.Errorf("work_place or email withheld with the permission: %s", full.raw)
	}

	bare := restrictedApp(srv, "dingbare000000000001", []string{dingtalktest.PermBase}, nil)
	btok := appToken(t, srv, "dingbare000000000001", bare)
	g := topapi(t, srv, "/topapi/v2/user/get", btok, map[string]string{"userid": "manager4721"})
	wantGateway(t, g, "60011")
	if !strings.Contains(g.str("sub_msg"), "qyapi_get_member") {
		t.Errorf("sub_msg does not name the scope: %q", g.str("sub_msg"))
	}
	wantGateway(t, topapi(t, srv, "/topapi/user/getbyunionid", btok, map[string]string{"unionid": "x"}), "60011")
	wantGateway(t, topapi(t, srv, "/topapi/v2/department/get", btok, map[string]any{"dept_id": 1}), "60011")
	none := restrictedApp(srv, "dingnone000000000001", []string{}, nil)
	ntok := appToken(t, srv, "dingnone000000000001", none)
	code := srv.IssueCode(dingtalktest.CodeJSAPI, "dingnone000000000001", dingtalktest.DemoCorpID, "manager4721")
	wantGateway(t, topapi(t, srv, "/topapi/v2/user/getuserinfo", ntok, map[string]string{"code": code}), "60011")
}

func TestGetByUnionID(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	tok := demoToken(t, srv)
	tok2 := appToken(t, srv, dingtalktest.DemoApp2Key, dingtalktest.DemoApp2Secret)
	r := topapi(t, srv, "/topapi/user/getbyunionid", tok, map[string]string{"unionid": dingtalktest.DemoSharedUnionID})
	wantOAPI(t, r, 0)
	if r.str("result", "userid") != "alice.wang" || r.str("result", "contact_type") != "0" {
		t.Fatalf("E9 = %s", r.raw)
	}
	// Same person, other corp, other userid.
	r2 := topapi(t, srv, "/topapi/user/getbyunionid", tok2, map[string]string{"unionid": dingtalktest.DemoSharedUnionID})
	if r2.str("result", "userid") != "0150123456781234" {
		t.Fatalf("E9 in corp 2 = %s", r2.raw)
	}
	wantOAPI(t, topapi(t, srv, "/topapi/user/getbyunionid", tok2, map[string]string{"unionid": "Zs3nGkT8pQ2wXc5vBn7mLa9dFiEiE"}), 60121)
}

// A removed member is gone from E8 and E9 in that corp only; a new member
// may take the userid over.
func TestRemoveUser(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	tok := demoToken(t, srv)
	tok2 := appToken(t, srv, dingtalktest.DemoApp2Key, dingtalktest.DemoApp2Secret)
	srv.RemoveUser(dingtalktest.DemoCorpID, "alice.wang")
	wantOAPI(t, topapi(t, srv, "/topapi/v2/user/get", tok, map[string]string{"userid": "alice.wang"}), 60121)
	wantOAPI(t, topapi(t, srv, "/topapi/user/getbyunionid", tok, map[string]string{"unionid": dingtalktest.DemoSharedUnionID}), 60121)
	wantOAPI(t, topapi(t, srv, "/topapi/user/getbyunionid", tok2, map[string]string{"unionid": dingtalktest.DemoSharedUnionID}), 0)

	srv.AddUser(dingtalktest.User{CorpID: dingtalktest.DemoCorpID, UserID: "alice.wang", UnionID: "someoneelse", Name: "Other"})
	r := topapi(t, srv, "/topapi/v2/user/get", tok, map[string]string{"userid": "alice.wang"})
	if r.str("result", "unionid") != "someoneelse" || r.str("result", "name") != "Other" {
		t.Errorf("E8 after the userid was taken over = %s", r.raw)
	}
	defer func() {
		if recover() == nil {
			t.Error("RemoveUser of an unknown user did not panic")
		}
	}()
	srv.RemoveUser(dingtalktest.DemoCorp2ID, "alice.wang")
}

func TestDepartments(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	tok := demoToken(t, srv)
	r := topapi(t, srv, "/topapi/v2/department/get", tok, map[string]any{"dept_id": backendDept, "language": "zh_CN"})
	wantOAPI(t, r, 0)
	if r.str("result", "dept_id") != "4295067297" || r.str("result", "name") != "后端组" || r.str("result", "parent_id") != "4295067296" ||
		r.str("result", "member_count") != "1" {
		t.Fatalf("E22 = %s", r.raw)
	}
	root := topapi(t, srv, "/topapi/v2/department/get", tok, map[string]any{"dept_id": 1})
	if root.str("result", "name") != dingtalktest.DemoCorpName || root.has("result", "parent_id") {
		t.Errorf("root = %s", root.raw)
	}
	wantOAPI(t, topapi(t, srv, "/topapi/v2/department/get", tok, map[string]any{"dept_id": 999}), 60003)

	p := topapi(t, srv, "/topapi/v2/department/listparentbyuser", tok, map[string]string{"userid": "alice.wang"})
	wantOAPI(t, p, 0)
	if got := p.str("result", "parent_list"); got != `[{"parent_dept_id_list":[4295067297,4295067296,1]},{"parent_dept_id_list":[4295067298,1]}]` {
		t.Errorf("E23 parent_list = %s", got)
	}
	wantOAPI(t, topapi(t, srv, "/topapi/v2/department/listparentbyuser", tok, map[string]string{"userid": "nobody"}), 33012)

	d := topapi(t, srv, "/topapi/v2/department/listparentbydept", tok, map[string]any{"dept_id": backendDept})
	if got := d.str("result", "parent_id_list"); got != "[4295067297,4295067296,1]" {
		t.Errorf("E24 parent_id_list = %s", got)
	}
	sub := topapi(t, srv, "/topapi/v2/department/listsubid", tok, map[string]any{"dept_id": 1})
	if got := sub.str("result", "dept_id_list"); got != "[4295067296,4295067298]" {
		t.Errorf("E25 listsubid = %s", got)
	}
	ls := topapi(t, srv, "/topapi/v2/department/listsub", tok, map[string]any{})
	if got := ls.str("result"); !strings.Contains(got, `"name":"研发部"`) || !strings.Contains(got, `"name":"市场部"`) {
		t.Errorf("E25 listsub = %s", got)
	}
}
