package dingtalktest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
)

func TestScriptsServed(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for path, want := range map[string]string{
		"/dingding/h5-dingtalk-login/0.21.0/ddlogin.js": "window.DTFrameLogin",
		"/ddlogin.js": "window.DTFrameLogin",
		"/dingding/dingtalk-jsapi/3.1.0/dingtalk.open.js": "window.dd",
		"/dingtalk.open.js": "runtime",
	} {
		status, _, body := page(t, srv, "GET", path, nil, "")
		if status != 200 || !strings.Contains(body, want) {
			t.Errorf("GET %s: %d, missing %q", path, status, want)
		}
	}
	// The shim learns from the server whether this browser is the client.
	_, _, plain := page(t, srv, "GET", "/dingtalk.open.js", nil, "Mozilla/5.0 Firefox/120")
	_, _, client := page(t, srv, "GET", "/dingtalk.open.js", nil, dingTalkUA)
	if !strings.Contains(plain, `"client":false`) || !strings.Contains(client, `"client":true`) || strings.Contains(client, "SIM_CONFIG") {
		t.Errorf("shim config not injected")
	}
}

func TestJSAPIAuthCode(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/__sim/jsapi/authcode", nil)
	req.Header.Set("Origin", "https://rp.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") == "" || !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Content-Type") {
		t.Fatalf("preflight headers = %v", resp.Header)
	}

	// Default client user: the first active member.
	u, ok := srv.ClientUser(dingtalktest.DemoCorpID)
	if !ok || u.UserID != "manager4721" {
		t.Fatalf("default client user = %+v", u)
	}
	r := postJSON(t, srv, "/__sim/jsapi/authcode", map[string]string{"corpId": dingtalktest.DemoCorpID})
	if r.status != 200 || r.str("code") == "" {
		t.Fatalf("authcode = %d %s", r.status, r.raw)
	}
	tok := demoToken(t, srv)
	e7 := topapi(t, srv, "/topapi/v2/user/getuserinfo", tok, map[string]string{"code": r.str("code")})
	if e7.str("result", "userid") != "manager4721" {
		t.Fatalf("E7 = %s", e7.raw)
	}

	srv.SetClientUser(dingtalktest.DemoCorpID, "alice.wang")
	r = postJSON(t, srv, "/__sim/jsapi/authcode", map[string]string{"corpId": dingtalktest.DemoCorpID, "clientId": dingtalktest.DemoAppKey})
	e7 = topapi(t, srv, "/topapi/v2/user/getuserinfo", tok, map[string]string{"code": r.str("code")})
	if e7.str("result", "userid") != "alice.wang" {
		t.Fatalf("E7 after SetClientUser = %s", e7.raw)
	}

	bad := postJSON(t, srv, "/__sim/jsapi/authcode", map[string]string{"corpId": "dingunknown"})
	if bad.status != 400 || bad.str("errorCode") != "3" {
		t.Fatalf("unknown corp = %d %s", bad.status, bad.raw)
	}
	bad = postJSON(t, srv, "/__sim/jsapi/authcode", map[string]string{"corpId": dingtalktest.DemoCorpID, "clientId": dingtalktest.DemoApp2Key})
	if bad.str("errorCode") != "3" {
		t.Fatalf("foreign client = %s", bad.raw)
	}
	if got := srv.Calls(dingtalktest.EndpointJSAPIAuthCode); got != 4 {
		t.Errorf("Calls(JSAPIAuthCode) = %d, want 4", got)
	}
}

func TestSimConsole(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	status, _, body := page(t, srv, "GET", "/__sim/", nil, "")
	if status != 200 || !strings.Contains(body, dingtalktest.DemoCorp2Name) {
		t.Fatalf("console: %d", status)
	}
	form := map[string][]string{"corp_id": {dingtalktest.DemoCorp2ID}, "user_id": {"0150123456781234"}}
	status, loc, _ := page(t, srv, "POST", "/__sim/client-user", form, "")
	if status != http.StatusSeeOther || loc != "/__sim/" {
		t.Fatalf("set client user: %d %q", status, loc)
	}
	if u, _ := srv.ClientUser(dingtalktest.DemoCorp2ID); u.UserID != "0150123456781234" {
		t.Errorf("client user = %q", u.UserID)
	}

	d := get(t, srv, "/__sim/directory")
	if d.status != 200 || strings.Contains(string(d.raw), dingtalktest.DemoAppSecret) || strings.Contains(string(d.raw), dingtalktest.DemoPassword) ||
		strings.Contains(string(d.raw), dingtalktest.DemoSSOSecret) || !strings.Contains(string(d.raw), dingtalktest.DemoAppKey) {
		t.Fatalf("/__sim/directory leaks secrets or lacks keys: %s", d.raw)
	}
}
