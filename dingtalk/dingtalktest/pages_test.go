package dingtalktest_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
)

// page GETs or POSTs a browser page and returns status, Location and body.
func page(t *testing.T, srv *dingtalktest.Server, method, path string, form url.Values, ua string) (int, string, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if ua != "" {
		req.Header.Set("User-Agent", ua)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func authParams(extra ...string) url.Values {
	q := url.Values{
		"client_id": {dingtalktest.DemoAppKey}, "redirect_uri": {"https://rp.example/cb?x=1"},
		"response_type": {"code"}, "scope": {"openid corpid"}, "prompt": {"consent"}, "state": {"st-42"},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return q
}

func TestLoginPageFlow(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	q := authParams()
	status, _, body := page(t, srv, "GET", "/oauth2/auth?"+q.Encode(), nil, "")
	if status != 200 || !strings.Contains(body, "Alice Wang") || !strings.Contains(body, `value="`+dingtalktest.DemoCorpID+`:alice.wang"`) {
		t.Fatalf("login page: %d\n%s", status, body)
	}
	if strings.Contains(body, "bob.smith") {
		t.Error("an internal app's page lists members of another corp")
	}
	form := url.Values{}
	for k, v := range q {
		form[k] = v
	}
	form.Set("user", dingtalktest.DemoCorpID+":alice.wang")
	status, loc, _ := page(t, srv, "POST", "/oauth2/auth", form, "")
	if status != http.StatusFound {
		t.Fatalf("pick: status %d", status)
	}
	u, err := url.Parse(loc)
	if err != nil || u.Host != "rp.example" || u.Path != "/cb" {
		t.Fatalf("Location = %q", loc)
	}
	cb := u.Query()
	if cb.Get("x") != "1" || cb.Get("state") != "st-42" || cb.Get("authCode") == "" || cb.Get("authCode") != cb.Get("code") {
		t.Fatalf("callback query = %v", cb)
	}
	r := exchange(t, srv, dingtalktest.DemoAppKey, dingtalktest.DemoAppSecret, cb.Get("authCode"))
	if r.status != 200 || r.str("corpId") != dingtalktest.DemoCorpID {
		t.Fatalf("E2 after login = %d %s", r.status, r.raw)
	}
	me := get(t, srv, "/v1.0/contact/users/me", "x-acs-dingtalk-access-token", r.str("accessToken"))
	if me.str("unionId") != dingtalktest.DemoSharedUnionID {
		t.Errorf("logged-in user = %s", me.raw)
	}
}

func TestLoginPageScopeOpenIDOmitsCorp(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	form := authParams("scope", "openid", "user", dingtalktest.DemoCorpID+":manager4721")
	_, loc, _ := page(t, srv, "POST", "/oauth2/auth", form, "")
	u, _ := url.Parse(loc)
	r := exchange(t, srv, dingtalktest.DemoAppKey, dingtalktest.DemoAppSecret, u.Query().Get("authCode"))
	if r.status != 200 || r.has("corpId") {
		t.Fatalf("E2 for scope openid = %d %s", r.status, r.raw)
	}
}

func TestLoginPagePickRefusesWhoMayNotSignIn(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	added := srv.AddUser(dingtalktest.User{CorpID: dingtalktest.DemoCorpID, UserID: "new.member", Name: "New Member"})
	cases := []struct {
		name string
		form url.Values
	}{
		{"member of another corp", authParams("user", dingtalktest.DemoCorp2ID+":bob.smith")},
		{"unknown member", authParams("user", dingtalktest.DemoCorpID+":nobody")},
		{"no corp", authParams("user", "alice.wang")},
		{"not an administrator, management backend", authParams("user", dingtalktest.DemoCorpID+":alice.wang",
			"org_type", "management", "corpId", dingtalktest.DemoCorpID)},
		{"a member who has left", authParams("user", dingtalktest.DemoCorpID+":wangwu")},
	}
	srv.RemoveUser(dingtalktest.DemoCorpID, "wangwu")
	for _, c := range cases {
		status, loc, body := page(t, srv, "POST", "/oauth2/auth", c.form, "")
		if status != 200 || loc != "" || !strings.Contains(body, "pick a member") {
			t.Errorf("%s: %d %q", c.name, status, loc)
		}
	}
	// An administrator may enter the management backend, and a member
	// added after start may sign in.
	for _, form := range []url.Values{
		authParams("user", dingtalktest.DemoCorpID+":manager4721", "org_type", "management", "corpId", dingtalktest.DemoCorpID),
		authParams("user", dingtalktest.DemoCorpID+":"+added.UserID),
	} {
		status, loc, _ := page(t, srv, "POST", "/oauth2/auth", form, "")
		u, _ := url.Parse(loc)
		if status != http.StatusFound || u.Query().Get("code") == "" {
			t.Errorf("pick %s: %d %q", form.Get("user"), status, loc)
		}
	}
}

func TestLoginPagePasswordAndCancel(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	// The suite is authorized by both corps; Bob logs in with his email.
	form := authParams("client_id", dingtalktest.DemoSuiteKey, "action", "password", "account", "bob@example.com", "password", dingtalktest.DemoPassword)
	status, loc, _ := page(t, srv, "POST", "/oauth2/auth", form, "")
	if status != http.StatusFound {
		t.Fatalf("password login: %d", status)
	}
	u, _ := url.Parse(loc)
	r := exchange(t, srv, dingtalktest.DemoSuiteKey, dingtalktest.DemoSuiteSecret, u.Query().Get("code"))
	if r.str("corpId") != dingtalktest.DemoCorp2ID {
		t.Fatalf("E2 = %s", r.raw)
	}
	form.Set("password", "wrong")
	status, loc, body := page(t, srv, "POST", "/oauth2/auth", form, "")
	if status != 200 || loc != "" || !strings.Contains(body, "wrong account or password") {
		t.Fatalf("wrong password: %d %q", status, loc)
	}
	form = authParams("action", "cancel")
	_, loc, _ = page(t, srv, "POST", "/oauth2/auth", form, "")
	u, _ = url.Parse(loc)
	if u.Query().Get("error") != "access_denied" || u.Query().Get("state") != "st-42" || u.Query().Has("code") {
		t.Fatalf("cancel Location = %q", loc)
	}
}

func TestLoginPageBadParameters(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.AddApp(dingtalktest.App{CorpID: dingtalktest.DemoCorpID, Name: "locked", AppKey: "dinglocked0000000001", AppSecret: "s",
		AgentID: 1000000001, Permissions: dingtalktest.AllPermissions(), RedirectPrefixes: []string{"https://ok.example/"}})
	cases := map[string]url.Values{
		"client":        authParams("client_id", "nosuch"),
		"redirect":      authParams("redirect_uri", "javascript:alert(1)"),
		"relative":      authParams("redirect_uri", "/cb"),
		"response type": authParams("response_type", "token"),
		"scope":         authParams("scope", "openid email"),
		"prompt":        authParams("prompt", ""),
		"prefix":        authParams("client_id", "dinglocked0000000001", "redirect_uri", "https://evil.example/cb"),
		"foreign corp":  authParams("corpId", dingtalktest.DemoCorp2ID),
	}
	for name, q := range cases {
		t.Run(name, func(t *testing.T) {
			status, loc, _ := page(t, srv, "GET", "/oauth2/auth?"+q.Encode(), nil, "")
			if status != http.StatusBadRequest || loc != "" {
				t.Fatalf("status %d Location %q, want an error page", status, loc)
			}
		})
	}
	status, _, _ := page(t, srv, "GET", "/oauth2/auth?"+authParams("client_id", "dinglocked0000000001", "redirect_uri", "https://ok.example/cb").Encode(), nil, "")
	if status != 200 {
		t.Errorf("registered prefix rejected: %d", status)
	}
}

func TestLoginPageEmbedded(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	form := authParams("iframe", "true", "user", dingtalktest.DemoCorpID+":alice.wang")
	status, loc, body := page(t, srv, "POST", "/oauth2/auth", form, "")
	if status != 200 || loc != "" {
		t.Fatalf("embedded pick: %d %q", status, loc)
	}
	if !strings.Contains(body, "parent.postMessage(") || !strings.Contains(body, `"https://rp.example"`) || !strings.Contains(body, "authCode") {
		t.Fatalf("relay page does not post to the redirect origin:\n%s", body)
	}
}

const dingTalkUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 AliApp(DingTalk/7.6.0) com.laiwang.DingTalk/35893071 Channel/201200 language/zh-Hans-CN"

func TestLegacyPages(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	q := url.Values{"appid": {dingtalktest.DemoLoginAppID}, "response_type": {"code"}, "scope": {"snsapi_login"},
		"state": {"s1"}, "redirect_uri": {"http://127.0.0.1:9/cb"}}
	status, _, body := page(t, srv, "GET", "/connect/qrconnect?"+q.Encode(), nil, "")
	if status != 200 || !strings.Contains(body, "Bob Smith") || strings.Count(body, `:alice.wang"`)+strings.Count(body, ":0150123456781234\"") != 1 {
		t.Fatalf("qrconnect page: %d\n%s", status, body)
	}
	form := url.Values{}
	for k, v := range q {
		form[k] = v
	}
	form.Set("user", dingtalktest.DemoCorp2ID+":bob.smith")
	_, loc, _ := page(t, srv, "POST", "/connect/qrconnect", form, "")
	u, _ := url.Parse(loc)
	if u.Query().Get("state") != "s1" || u.Query().Get("code") == "" || u.Query().Has("authCode") {
		t.Fatalf("qrconnect Location = %q", loc)
	}

	q.Set("scope", "snsapi_auth")
	wantRejected := func(path string, ua string) {
		t.Helper()
		if status, loc, _ := page(t, srv, "GET", path+"?"+q.Encode(), nil, ua); status != http.StatusBadRequest || loc != "" {
			t.Errorf("%s snsapi_auth UA %q: %d %q, want an error page", path, ua, status, loc)
		}
	}
	wantRejected("/connect/oauth2/sns_authorize", "Mozilla/5.0 Firefox/120")
	wantRejected("/connect/oauth2/sns_authorize", "DingTalk-LinkService/1.0")
	wantRejected("/connect/qrconnect", dingTalkUA)

	srv.SetClientUser(dingtalktest.DemoCorp2ID, "bob.smith")
	status, loc, _ = page(t, srv, "GET", "/connect/oauth2/sns_authorize?"+q.Encode(), nil, dingTalkUA)
	if status != http.StatusFound {
		t.Fatalf("snsapi_auth in DingTalk: %d", status)
	}
	u, _ = url.Parse(loc)
	code := u.Query().Get("code")
	key, secret := dingtalktest.DemoLoginAppID, dingtalktest.DemoLoginAppSecret
	r := postJSON(t, srv, "/sns/getuserinfo_bycode?"+snsQuery(key, secret, time.Now()).Encode(), map[string]string{"tmp_auth_code": code})
	if r.str("user_info", "nick") != "Bob" {
		t.Fatalf("snsapi_auth user = %s", r.raw)
	}
}
