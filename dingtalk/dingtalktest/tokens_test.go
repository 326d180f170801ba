package dingtalktest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
)

func TestGetToken(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	r := get(t, srv, "/gettoken?appkey="+dingtalktest.DemoAppKey+"&appsecret="+dingtalktest.DemoAppSecret)
	wantOAPI(t, r, 0)
	if r.str("errmsg") != "ok" || r.str("expires_in") != "7200" || r.str("access_token") == "" {
		t.Fatalf("E4 reply = %s", r.raw)
	}
	again := get(t, srv, "/gettoken?appkey="+dingtalktest.DemoAppKey+"&appsecret="+dingtalktest.DemoAppSecret)
	if again.str("access_token") != r.str("access_token") {
		t.Errorf("a second E4 call within validity returned a new token")
	}
	wantOAPI(t, get(t, srv, "/gettoken?appkey="+dingtalktest.DemoAppKey+"&appsecret=wrong"), 40096)
	wantOAPI(t, get(t, srv, "/gettoken"), 40035)
	wantOAPI(t, get(t, srv, "/gettoken?corpid=x&corpsecret=y"), 40089)
}

func TestAccessTokenV1(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	r := postJSON(t, srv, "/v1.0/oauth2/accessToken", map[string]string{"appKey": dingtalktest.DemoAppKey, "appSecret": dingtalktest.DemoAppSecret})
	if r.status != 200 || r.str("accessToken") == "" || r.str("expireIn") != "7200" || r.has("errcode") {
		t.Fatalf("E5 reply = %d %s", r.status, r.raw)
	}
	wantAPIError(t, postJSON(t, srv, "/v1.0/oauth2/accessToken", map[string]string{"appKey": dingtalktest.DemoAppKey, "appSecret": "x"}),
		400, "invalidClientIdOrSecret")

	form := url.Values{"appKey": {dingtalktest.DemoAppKey}, "appSecret": {dingtalktest.DemoAppSecret}}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1.0/oauth2/accessToken", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	fr := do(t, srv, req)
	wantAPIError(t, fr, 400, "MissingBody")
	if !strings.Contains(fr.str("message"), "body is mandatory for this action") {
		t.Errorf("form body message = %q", fr.str("message"))
	}
}

func TestUnifiedToken(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	path := "/v1.0/oauth2/" + dingtalktest.DemoCorpID + "/token"
	ok := postJSON(t, srv, path, map[string]string{"client_id": dingtalktest.DemoAppKey, "client_secret": dingtalktest.DemoAppSecret, "grant_type": "client_credentials"})
	if ok.status != 200 || ok.str("access_token") == "" || ok.str("expires_in") != "7200" || ok.has("accessToken") {
		t.Fatalf("E6 reply = %d %s", ok.status, ok.raw)
	}
	// The token works on topapi.
	wantOAPI(t, topapi(t, srv, "/topapi/v2/user/get", ok.str("access_token"), map[string]string{"userid": "manager4721"}), 0)

	isv := postJSON(t, srv, "/v1.0/oauth2/"+dingtalktest.DemoCorp2ID+"/token", map[string]string{"client_id": dingtalktest.DemoSuiteKey, "client_secret": dingtalktest.DemoSuiteSecret, "grant_type": "client_credentials"})
	if isv.status != 200 || isv.str("access_token") == "" {
		t.Fatalf("E6 ISV reply = %d %s", isv.status, isv.raw)
	}
	cases := []struct {
		name, path, id, secret, grant string
		status                        int
		code                          string
	}{
		{"grant", path, dingtalktest.DemoAppKey, dingtalktest.DemoAppSecret, "password", 400, "unsupported.grant.type"},
		{"secret", path, dingtalktest.DemoAppKey, "nope", "client_credentials", 400, "invalid.client"},
		{"other corp", "/v1.0/oauth2/" + dingtalktest.DemoCorp2ID + "/token", dingtalktest.DemoAppKey, dingtalktest.DemoAppSecret, "client_credentials", 401, "unauthorized.client"},
		{"fake corp", "/v1.0/oauth2/dingfake/token", dingtalktest.DemoAppKey, dingtalktest.DemoAppSecret, "client_credentials", 500, "unknownError"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := postJSON(t, srv, c.path, map[string]string{"client_id": c.id, "client_secret": c.secret, "grant_type": c.grant})
			wantAPIError(t, r, c.status, c.code)
		})
	}
}

func TestTokenExpiry(t *testing.T) {
	t.Parallel()
	clk := &fixedClock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	srv := newServer(t, dingtalktest.WithClock(clk.now))
	tok := demoToken(t, srv)
	body := map[string]string{"userid": "manager4721"}
	wantOAPI(t, topapi(t, srv, "/topapi/v2/user/get", tok, body), 0)

	clk.t = clk.t.Add(7199 * time.Second)
	wantOAPI(t, topapi(t, srv, "/topapi/v2/user/get", tok, body), 0)
	clk.t = clk.t.Add(2 * time.Second)
	wantOAPI(t, topapi(t, srv, "/topapi/v2/user/get", tok, body), 42001)

	fresh := demoToken(t, srv)
	if fresh == tok {
		t.Fatal("an expired token was handed out again")
	}
	wantOAPI(t, topapi(t, srv, "/topapi/v2/user/get", fresh, body), 0)
	srv.ExpireTokens()
	wantOAPI(t, topapi(t, srv, "/topapi/v2/user/get", fresh, body), 42001)
}

func TestTokenPlacement(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	tok := demoToken(t, srv)
	// oapi ignores the v1.0 header.
	r := postJSON(t, srv, "/topapi/v2/user/get", map[string]string{"userid": "manager4721"}, "x-acs-dingtalk-access-token", tok)
	wantGateway(t, r, "40000")
	if !strings.Contains(r.str("sub_msg"), "access_token is blank") {
		t.Errorf("sub_msg = %q", r.str("sub_msg"))
	}
	wantGateway(t, topapi(t, srv, "/topapi/v2/user/get", "not-a-token", map[string]string{"userid": "x"}), "40014")

	// v1.0 wants the header, not a query parameter or a bearer token.
	wantAPIError(t, get(t, srv, "/v1.0/contact/users/me?access_token="+tok), 400, "AuthenticationFailed.MissingParameter")
	wantAPIError(t, get(t, srv, "/v1.0/contact/users/me", "Authorization", "Bearer "+tok), 400, "AuthenticationFailed.MissingParameter")
	wantAPIError(t, get(t, srv, "/v1.0/contact/users/me", "x-acs-dingtalk-access-token", "bogus"), 400, "InvalidAuthentication")
}

func TestUnknownPaths(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	wantOAPI(t, topapi(t, srv, "/topapi/v2/user/nosuch", "x", map[string]string{}), 22)
	r := postJSON(t, srv, "/oauth2/corpAccessToken", map[string]string{})
	wantOAPI(t, r, 404)
	wantAPIError(t, get(t, srv, "/v1.0/nosuch/thing"), 404, "InvalidAction.NotFound")
	// GET on a POST-only v1.0 path is not found either.
	wantAPIError(t, get(t, srv, "/v1.0/oauth2/accessToken"), 404, "InvalidAction.NotFound")
}
