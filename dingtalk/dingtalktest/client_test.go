package dingtalktest_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk"
	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
)

// The real dingtalk client against the simulator, endpoint by endpoint.

func newClient(t *testing.T, srv *dingtalktest.Server) *dingtalk.Client {
	t.Helper()
	return dingtalk.NewClient(dingtalk.Config{
		Endpoints:  dingtalk.Endpoints{OAPI: srv.URL, API: srv.URL, Login: srv.URL},
		HTTPClient: srv.Client(),
		Retry:      dingtalk.Retry{BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, ThrottleDelay: time.Millisecond},
	})
}

func demoApp(method dingtalk.TokenMethod) dingtalk.App {
	return dingtalk.App{AppKey: dingtalktest.DemoAppKey, AppSecret: dingtalktest.DemoAppSecret,
		AgentID: dingtalktest.DemoAgentID, CorpID: dingtalktest.DemoCorpID, TokenMethod: method}
}

// browserLogin follows a login page URL as a user who picks value
// ("corpID:userID") and returns the callback query.
func browserLogin(t *testing.T, srv *dingtalktest.Server, pageURL, value string) url.Values {
	t.Helper()
	u, err := url.Parse(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	form := u.Query()
	form.Set("user", value)
	status, loc, _ := page(t, srv, "POST", u.Path, form, "")
	if status != http.StatusFound {
		t.Fatalf("login POST %s: %d", u.Path, status)
	}
	cb, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	return cb.Query()
}

func TestClientOAuthLogin(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	ctx := t.Context()
	app := newClient(t, srv).App(demoApp(dingtalk.TokenV1))
	loginURL := app.AuthCodeURL(dingtalk.AuthCodeParams{RedirectURI: "https://rp.example/cb", State: "xyz", Scope: dingtalk.ScopeOpenIDCorpID})
	if status, _, _ := page(t, srv, "GET", loginURL[len(srv.URL):], nil, ""); status != 200 {
		t.Fatalf("E1 page for the client's URL: %d", status)
	}
	cb := browserLogin(t, srv, loginURL, dingtalktest.DemoCorpID+":alice.wang")
	if cb.Get("state") != "xyz" {
		t.Fatalf("state = %q", cb.Get("state"))
	}
	tok, err := app.ExchangeCode(ctx, cb.Get("authCode"))
	if err != nil {
		t.Fatal(err)
	}
	if tok.CorpID != dingtalktest.DemoCorpID || tok.ExpireIn != 7200 {
		t.Errorf("E2 = %+v", tok)
	}
	me, err := newClient(t, srv).CurrentUser(ctx, tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if me.UnionID != dingtalktest.DemoSharedUnionID || me.Nick != "Alice" || me.Mobile != "13700137003" || me.OpenID == "" {
		t.Errorf("E3 = %+v", me)
	}
	if _, err := app.RefreshUserToken(ctx, tok.RefreshToken); err != nil {
		t.Errorf("refresh: %v", err)
	}
	_, err = app.ExchangeCode(ctx, cb.Get("authCode"))
	if !dingtalk.IsKind(err, dingtalk.KindCodeInvalid) {
		t.Errorf("reused code: %v, want KindCodeInvalid", err)
	}
	var apiErr *dingtalk.APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatus != 400 {
		t.Errorf("reused code error = %#v", err)
	}
}

func TestClientInAppFlow(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	ctx := t.Context()
	for _, m := range []dingtalk.TokenMethod{dingtalk.TokenV1, dingtalk.TokenLegacy, dingtalk.TokenUnified} {
		app := newClient(t, srv).App(demoApp(m))
		code := srv.IssueCode(dingtalktest.CodeJSAPI, dingtalktest.DemoAppKey, dingtalktest.DemoCorpID, "alice.wang")
		info, err := app.UserInfoByCode(ctx, code)
		if err != nil {
			t.Fatalf("method %d: E7: %v", m, err)
		}
		if info.UserID != "alice.wang" || info.UnionID != dingtalktest.DemoSharedUnionID {
			t.Errorf("E7 = %+v", info)
		}
		u, err := app.User(ctx, info.UserID, "zh_CN")
		if err != nil {
			t.Fatalf("E8: %v", err)
		}
		if u.Name != "Alice Wang" || u.Mobile != "13700137003" || !slices.Equal(u.DeptIDList, []int64{4295067297, 4295067298}) {
			t.Errorf("E8 = %+v", u)
		}
		_, err = app.UserInfoByCode(ctx, code)
		if !dingtalk.IsKind(err, dingtalk.KindCodeInvalid) {
			t.Errorf("reused code: %v", err)
		}
	}
	if srv.Calls(dingtalktest.EndpointAccessToken) != 1 || srv.Calls(dingtalktest.EndpointGetToken) != 1 || srv.Calls(dingtalktest.EndpointCorpToken) != 1 {
		t.Errorf("token calls: E5 %d, E4 %d, E6 %d", srv.Calls(dingtalktest.EndpointAccessToken),
			srv.Calls(dingtalktest.EndpointGetToken), srv.Calls(dingtalktest.EndpointCorpToken))
	}
}

func TestClientDirectoryLookups(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	ctx := t.Context()
	app := newClient(t, srv).App(demoApp(dingtalk.TokenV1))
	byUnion, err := app.UserIDByUnionID(ctx, dingtalktest.DemoSharedUnionID)
	if err != nil || byUnion.UserID != "alice.wang" {
		t.Fatalf("E9 = %+v, %v", byUnion, err)
	}
	_, err = app.UserIDByUnionID(ctx, "Bs2mKt6hYu8jNb3vCx5zLq7wPeiEiE")
	if !dingtalk.IsKind(err, dingtalk.KindNotMember) {
		t.Errorf("E9 foreign user: %v", err)
	}
	d, err := app.Department(ctx, 4295067297, "zh_CN")
	if err != nil || d.Name != "后端组" || d.ParentID != 4295067296 {
		t.Fatalf("E22 = %+v, %v", d, err)
	}
	chains, err := app.ParentDepartmentsByUser(ctx, "alice.wang")
	if err != nil || len(chains) != 2 || !slices.Equal(chains[0], []int64{4295067297, 4295067296, 1}) {
		t.Fatalf("E23 = %v, %v", chains, err)
	}
	chain, err := app.ParentDepartmentsByDept(ctx, 4295067298)
	if err != nil || !slices.Equal(chain, []int64{4295067298, 1}) {
		t.Fatalf("E24 = %v, %v", chain, err)
	}
}

func TestClientTokenRenewalAndFaults(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	ctx := t.Context()
	app := newClient(t, srv).App(demoApp(dingtalk.TokenLegacy))
	if _, err := app.User(ctx, "manager4721", ""); err != nil {
		t.Fatal(err)
	}
	srv.ExpireTokens()
	if _, err := app.User(ctx, "manager4721", ""); err != nil {
		t.Fatalf("after ExpireTokens: %v", err)
	}
	if got := srv.Calls(dingtalktest.EndpointGetToken); got != 2 {
		t.Errorf("E4 calls = %d, want 2 (the expired token was refetched)", got)
	}
	srv.Fail(dingtalktest.EndpointUserGet, dingtalktest.Fault{Kind: dingtalktest.FaultThrottle})
	if _, err := app.User(ctx, "manager4721", ""); err != nil {
		t.Fatalf("after one throttle: %v", err)
	}
	srv.Fail(dingtalktest.EndpointUserGet, dingtalktest.Fault{Kind: dingtalktest.FaultServerError, Times: dingtalktest.Always})
	_, err := app.User(ctx, "manager4721", "")
	if !dingtalk.IsKind(err, dingtalk.KindTransient) {
		t.Errorf("persistent 503: %v", err)
	}
	srv.ClearFaults()
	_, err = app.User(ctx, "bob.smith", "")
	if !dingtalk.IsKind(err, dingtalk.KindNotMember) {
		t.Errorf("non-member: %v", err)
	}
}

func TestClientLegacyLogin(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := newClient(t, srv)
	for _, pageURL := range []string{
		c.QRConnectURL(dingtalk.LegacyAuthParams{AppID: dingtalktest.DemoLoginAppID, RedirectURI: "https://rp.example/legacy", State: "s"}),
		c.SNSAuthorizeURL(dingtalk.LegacyAuthParams{AppID: dingtalktest.DemoLoginAppID, RedirectURI: "https://rp.example/legacy", State: "s"}),
	} {
		cb := browserLogin(t, srv, pageURL, dingtalktest.DemoCorp2ID+":bob.smith")
		login := c.App(dingtalk.App{AppKey: dingtalktest.DemoLoginAppID, AppSecret: dingtalktest.DemoLoginAppSecret})
		info, err := login.SNSUserInfo(t.Context(), cb.Get("code"))
		if err != nil {
			t.Fatalf("E12: %v", err)
		}
		if info.Nick != "Bob" || info.UnionID != "Bs2mKt6hYu8jNb3vCx5zLq7wPeiEiE" {
			t.Errorf("E12 = %+v", info)
		}
	}
	bad := c.App(dingtalk.App{AppKey: dingtalktest.DemoLoginAppID, AppSecret: "wrong"})
	_, err := bad.SNSUserInfo(t.Context(), "x")
	if !dingtalk.IsKind(err, dingtalk.KindBadCredentials) {
		t.Errorf("wrong secret: %v", err)
	}
}

func TestClientSSO(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for _, m := range []dingtalk.TokenMethod{dingtalk.TokenV1, dingtalk.TokenLegacy} {
		sso := newClient(t, srv).SSO(dingtalk.SSO{CorpID: dingtalktest.DemoCorpID, SSOSecret: dingtalktest.DemoSSOSecret, TokenMethod: m})
		code := srv.IssueCode(dingtalktest.CodeSSO, "", dingtalktest.DemoCorpID, "manager4721")
		info, err := sso.UserInfo(t.Context(), code)
		if err != nil {
			t.Fatalf("method %d: %v", m, err)
		}
		if info.UserID != "manager4721" || info.CorpName != dingtalktest.DemoCorpName || !info.IsAdmin {
			t.Errorf("method %d: %+v", m, info)
		}
		if _, err := sso.UserInfo(t.Context(), code); !dingtalk.IsKind(err, dingtalk.KindCodeInvalid) {
			t.Errorf("method %d reused code: %v", m, err)
		}
	}
}

func TestClientISV(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	ctx := t.Context()
	ticket := func(context.Context) (string, error) { return srv.SuiteTicket(dingtalktest.DemoSuiteKey), nil }
	for _, m := range []dingtalk.TokenMethod{dingtalk.TokenV1, dingtalk.TokenLegacy, dingtalk.TokenUnified} {
		suite := newClient(t, srv).Suite(dingtalk.Suite{SuiteKey: dingtalktest.DemoSuiteKey, SuiteSecret: dingtalktest.DemoSuiteSecret, TokenMethod: m}, ticket)
		if _, err := suite.AccessToken(ctx); err != nil {
			t.Fatalf("method %d suite token: %v", m, err)
		}
		corp := suite.Corp(dingtalktest.DemoCorp2ID)
		code := srv.IssueCode(dingtalktest.CodeJSAPI, dingtalktest.DemoSuiteKey, dingtalktest.DemoCorp2ID, "bob.smith")
		info, err := corp.UserInfoByCode(ctx, code)
		if err != nil || info.UserID != "bob.smith" {
			t.Fatalf("method %d E7 = %+v, %v", m, info, err)
		}
		u, err := corp.User(ctx, "bob.smith", "")
		if err != nil || u.Mobile != "" || u.Email != "" || u.Name != "Bob Smith" {
			t.Errorf("method %d E8 for ISV = %+v, %v", m, u, err)
		}
	}
	suite := newClient(t, srv).Suite(dingtalk.Suite{SuiteKey: dingtalktest.DemoSuiteKey, SuiteSecret: dingtalktest.DemoSuiteSecret}, ticket)
	ai, err := suite.AuthInfo(ctx, dingtalktest.DemoCorpID)
	if err != nil || ai.AuthCorpInfo.CorpName != dingtalktest.DemoCorpName || len(ai.AuthAppInfo.AgentList) != 1 {
		t.Errorf("E21 = %+v, %v", ai, err)
	}
	stale := newClient(t, srv).Suite(dingtalk.Suite{SuiteKey: dingtalktest.DemoSuiteKey, SuiteSecret: dingtalktest.DemoSuiteSecret},
		func(context.Context) (string, error) { return "stale", nil })
	if _, err := stale.Corp(dingtalktest.DemoCorpID).AccessToken(ctx); !dingtalk.IsKind(err, dingtalk.KindBadCredentials) {
		t.Errorf("stale ticket: %v", err)
	}
}
