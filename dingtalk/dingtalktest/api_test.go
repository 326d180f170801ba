package dingtalktest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
)

func exchange(t *testing.T, srv *dingtalktest.Server, key, secret, code string) reply {
	t.Helper()
	return postJSON(t, srv, "/v1.0/oauth2/userAccessToken", map[string]string{
		"clientId": key, "clientSecret": secret, "code": code, "grantType": "authorization_code"})
}

func TestUserAccessTokenAndMe(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	code := srv.IssueCode(dingtalktest.CodeOAuth, dingtalktest.DemoAppKey, dingtalktest.DemoCorpID, "alice.wang")
	r := exchange(t, srv, dingtalktest.DemoAppKey, dingtalktest.DemoAppSecret, code)
	if r.status != 200 || r.str("accessToken") == "" || r.str("refreshToken") == "" || r.str("expireIn") != "7200" ||
		r.str("corpId") != dingtalktest.DemoCorpID {
		t.Fatalf("E2 = %d %s", r.status, r.raw)
	}
	wantAPIError(t, exchange(t, srv, dingtalktest.DemoAppKey, dingtalktest.DemoAppSecret, code), 400, "invalidCode")
	wantAPIError(t, exchange(t, srv, dingtalktest.DemoAppKey, "bad", "x"), 400, "invalidClientIdOrSecret")

	me := get(t, srv, "/v1.0/contact/users/me", "x-acs-dingtalk-access-token", r.str("accessToken"))
	want := map[string]string{"nick": "Alice", "unionId": dingtalktest.DemoSharedUnionID, "mobile": "13700137003",
		"stateCode": "86", "email": "alice@example.com"}
	for k, v := range want {
		if me.str(k) != v {
			t.Errorf("E3 %s = %q, want %q", k, me.str(k), v)
		}
	}
	if me.str("openId") == "" || me.has("userid") || me.has("userId") {
		t.Errorf("E3 = %s: want openId and no userid", me.raw)
	}
	// The app token is not a user token.
	wantAPIError(t, get(t, srv, "/v1.0/contact/users/me", "x-acs-dingtalk-access-token", demoToken(t, srv)), 400, "InvalidAuthentication")
	wantAPIError(t, get(t, srv, "/v1.0/contact/users/someoneelse", "x-acs-dingtalk-access-token", r.str("accessToken")), 404, "invalidParameter.user.notFound")

	// Refresh.
	rr := postJSON(t, srv, "/v1.0/oauth2/userAccessToken", map[string]string{
		"clientId": dingtalktest.DemoAppKey, "clientSecret": dingtalktest.DemoAppSecret, "refreshToken": r.str("refreshToken"), "grantType": "refresh_token"})
	if rr.status != 200 || rr.str("accessToken") == "" {
		t.Fatalf("refresh = %d %s", rr.status, rr.raw)
	}
}

func TestUserAccessTokenCodeRules(t *testing.T) {
	t.Parallel()
	clk := &fixedClock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	srv := newServer(t, dingtalktest.WithClock(clk.now))
	// A JSAPI (workspace) code is not an authCode.
	j := srv.IssueCode(dingtalktest.CodeJSAPI, dingtalktest.DemoAppKey, dingtalktest.DemoCorpID, "alice.wang")
	wantAPIError(t, exchange(t, srv, dingtalktest.DemoAppKey, dingtalktest.DemoAppSecret, j), 400, "invalidCode")
	// An authCode of another app.
	other := srv.IssueCode(dingtalktest.CodeOAuth, dingtalktest.DemoSuiteKey, dingtalktest.DemoCorpID, "alice.wang")
	wantAPIError(t, exchange(t, srv, dingtalktest.DemoAppKey, dingtalktest.DemoAppSecret, other), 400, "invalidCode")
	if r := exchange(t, srv, dingtalktest.DemoSuiteKey, dingtalktest.DemoSuiteSecret, other); r.status != 200 {
		t.Fatalf("suite exchange = %d %s", r.status, r.raw)
	}
	// Expired.
	c := srv.IssueCode(dingtalktest.CodeOAuth, dingtalktest.DemoAppKey, dingtalktest.DemoCorpID, "alice.wang")
	clk.t = clk.t.Add(dingtalktest.CodeTTL)
	wantAPIError(t, exchange(t, srv, dingtalktest.DemoAppKey, dingtalktest.DemoAppSecret, c), 400, "invalidCode")
}

func TestUserTokenExpiry(t *testing.T) {
	t.Parallel()
	clk := &fixedClock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	srv := newServer(t, dingtalktest.WithClock(clk.now))
	code := srv.IssueCode(dingtalktest.CodeOAuth, dingtalktest.DemoAppKey, dingtalktest.DemoCorpID, "manager4721")
	tok := exchange(t, srv, dingtalktest.DemoAppKey, dingtalktest.DemoAppSecret, code).str("accessToken")
	clk.t = clk.t.Add(dingtalktest.TokenTTL)
	wantAPIError(t, get(t, srv, "/v1.0/contact/users/me", "x-acs-dingtalk-access-token", tok), 400, "InvalidAuthentication")
}

func TestContactUserPermissions(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	withoutMobile := restrictedApp(srv, "dingnomobile00000001", []string{dingtalktest.PermOpenAppBase, dingtalktest.PermContactRead}, nil)
	c := srv.IssueCode(dingtalktest.CodeOAuth, "dingnomobile00000001", dingtalktest.DemoCorpID, "manager4721")
	tok := exchange(t, srv, "dingnomobile00000001", withoutMobile, c).str("accessToken")
	me := get(t, srv, "/v1.0/contact/users/me", "x-acs-dingtalk-access-token", tok)
	if me.status != 200 || me.has("mobile") || me.has("stateCode") || me.str("nick") != "三哥" {
		t.Fatalf("E3 without Contact.User.mobile = %d %s", me.status, me.raw)
	}

	noRead := restrictedApp(srv, "dingnoread0000000001", []string{dingtalktest.PermOpenAppBase}, nil)
	c = srv.IssueCode(dingtalktest.CodeOAuth, "dingnoread0000000001", dingtalktest.DemoCorpID, "manager4721")
	tok = exchange(t, srv, "dingnoread0000000001", noRead, c).str("accessToken")
	r := get(t, srv, "/v1.0/contact/users/me", "x-acs-dingtalk-access-token", tok)
	wantAPIError(t, r, 403, "Forbidden.AccessDenied.AccessTokenPermissionDenied")
	if !strings.Contains(r.str("message"), "Contact.User.Read") {
		t.Errorf("message does not name the scope: %s", r.raw)
	}

	// An ISV sees the mobile masked.
	sc := srv.IssueCode(dingtalktest.CodeOAuth, dingtalktest.DemoSuiteKey, dingtalktest.DemoCorpID, "manager4721")
	stok := exchange(t, srv, dingtalktest.DemoSuiteKey, dingtalktest.DemoSuiteSecret, sc).str("accessToken")
	if m := get(t, srv, "/v1.0/contact/users/me", "x-acs-dingtalk-access-token", stok).str("mobile"); m != "138****8001" {
		t.Errorf("ISV mobile = %q, want masked", m)
	}
}

// The v1.0 gateway reads body fields by their exact names: a field spelled
// in another case is absent (reference §3: E14 "note lower-case corpid",
// E2 camelCase, E6 snake_case).
func TestAPIBodyFieldNamesAreExact(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	wantAPIError(t, postJSON(t, srv, "/v1.0/oauth2/ssoAccessToken",
		map[string]string{"corpId": dingtalktest.DemoCorp2ID, "ssoSecret": dingtalktest.DemoSSO2Secret}), 400, "invalidClientIdOrSecret")
	wantAPIError(t, postJSON(t, srv, "/v1.0/oauth2/accessToken",
		map[string]string{"appkey": dingtalktest.DemoAppKey, "appsecret": dingtalktest.DemoAppSecret}), 400, "invalidClientIdOrSecret")
	code := srv.IssueCode(dingtalktest.CodeOAuth, dingtalktest.DemoAppKey, dingtalktest.DemoCorpID, "alice.wang")
	wantAPIError(t, postJSON(t, srv, "/v1.0/oauth2/userAccessToken", map[string]string{
		"ClientId": dingtalktest.DemoAppKey, "ClientSecret": dingtalktest.DemoAppSecret, "code": code, "grantType": "authorization_code"}),
		400, "invalidClientIdOrSecret")
	// The exact spellings still work, and the code was not consumed above.
	if r := exchange(t, srv, dingtalktest.DemoAppKey, dingtalktest.DemoAppSecret, code); r.status != 200 {
		t.Fatalf("E2 with exact field names = %d %s", r.status, r.raw)
	}
}
