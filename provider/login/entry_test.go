package login_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
	"github.com/dingbridge/dingbridge/provider"
	"github.com/dingbridge/dingbridge/provider/login"
	"github.com/dingbridge/dingbridge/provider/resolve"
)

type exchangeResult struct {
	status int
	body   map[string]any
	sub    string
}

// tokenExchange posts a mini program's code to the token endpoint.
func (e *env) tokenExchange(t *testing.T, code, corpID string) exchangeResult {
	t.Helper()
	form := url.Values{
		"grant_type":         {"urn:ietf:params:oauth:grant-type:token-exchange"},
		"subject_token":      {code},
		"subject_token_type": {provider.TokenTypeDingTalkAuthCode},
		"scope":              {"openid profile"},
	}
	if corpID != "" {
		form.Set("corp_id", corpID)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.issuer+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(e.rp.clientID), url.QueryEscape(e.rp.secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := exchangeResult{status: resp.StatusCode}
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &out.body); err != nil {
		t.Fatalf("token exchange: %d %s", resp.StatusCode, b)
	}
	if raw, ok := out.body["id_token"].(string); ok {
		p, err := oidc.NewProvider(t.Context(), e.issuer)
		if err != nil {
			t.Fatal(err)
		}
		idt, err := p.Verifier(&oidc.Config{ClientID: e.rp.clientID}).Verify(t.Context(), raw)
		if err != nil {
			t.Fatalf("verify id_token: %v", err)
		}
		out.sub = idt.Subject
	}
	return out
}

func TestMiniProgramTokenExchange(t *testing.T) {
	e := newEnv(t, options{})
	ok := e.tokenExchange(t, e.dt.IssueCode(dingtalktest.CodeJSAPI, "", dingtalktest.DemoCorpID, "alice.wang"), dingtalktest.DemoCorpID)
	if ok.status != http.StatusOK || ok.sub == "" || ok.body["access_token"] == nil {
		t.Fatalf("exchange = %d %v", ok.status, ok.body)
	}
	// The corp may be left out when only one is served.
	if r := e.tokenExchange(t, e.dt.IssueCode(dingtalktest.CodeJSAPI, "", dingtalktest.DemoCorpID, "alice.wang"), ""); r.sub != ok.sub {
		t.Errorf("without corp_id: %d %v", r.status, r.body)
	}
	// A replayed code is invalid_grant.
	code := e.dt.IssueCode(dingtalktest.CodeJSAPI, "", dingtalktest.DemoCorpID, "boss0001")
	e.tokenExchange(t, code, dingtalktest.DemoCorpID)
	if r := e.tokenExchange(t, code, dingtalktest.DemoCorpID); r.status != http.StatusBadRequest || r.body["error"] != "invalid_grant" {
		t.Errorf("replayed: %d %v", r.status, r.body)
	}
	// An inactive person is refused by the policy: invalid_grant.
	if r := e.tokenExchange(t, e.dt.IssueCode(dingtalktest.CodeJSAPI, "", dingtalktest.DemoCorpID, "wangwu"), dingtalktest.DemoCorpID); r.body["error"] != "invalid_grant" {
		t.Errorf("inactive: %d %v", r.status, r.body)
	}
	// An unknown corp is invalid_request.
	if r := e.tokenExchange(t, "x", "dingnope"); r.body["error"] != "invalid_request" {
		t.Errorf("unknown corp: %d %v", r.status, r.body)
	}
}

func TestLoginConfigJSON(t *testing.T) {
	e := newEnv(t, options{corps: []resolve.Corp{corp1(), corp2()}})
	get := func(q string) (int, http.Header, string) {
		resp, err := http.Get(e.issuer + "/dingtalk/login-config" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	status, h, body := get("?corpId=" + dingtalktest.DemoCorp2ID)
	if status != http.StatusOK || h.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("login-config: %d %v %s", status, h, body)
	}
	var cfg map[string]any
	if err := json.Unmarshal([]byte(body), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg["corpId"] != dingtalktest.DemoCorp2ID || cfg["clientId"] != dingtalktest.DemoApp2Key ||
		cfg["agentId"] != float64(dingtalktest.DemoAgent2ID) || cfg["loginURL"] != e.dt.URL+"/oauth2/auth" {
		t.Errorf("login-config = %v", cfg)
	}
	for _, secret := range []string{dingtalktest.DemoApp2Secret, dingtalktest.DemoSSO2Secret, dingtalktest.DemoAppSecret} {
		if strings.Contains(body, secret) {
			t.Error("login-config leaks a secret")
		}
	}
	if status, _, body := get("?corpId=dingnope"); status != http.StatusNotFound || !strings.Contains(body, "unknown_corp") {
		t.Errorf("unknown corp: %d %s", status, body)
	}
	if status, _, _ := get(""); status != http.StatusBadRequest {
		t.Errorf("no corp with two served: %d", status)
	}
}

func TestSuiteTicketPush(t *testing.T) {
	const token = "push-token-0123456789"
	suite := resolve.Suite{SuiteKey: dingtalktest.DemoSuiteKey, SuiteSecret: dingtalktest.DemoSuiteSecret,
		Corps: []resolve.SuiteCorp{{CorpID: dingtalktest.DemoCorp2ID, Name: dingtalktest.DemoCorp2Name}}}
	post := func(e *env, auth, body string) int {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.issuer+"/dingtalk/suite-ticket", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	good := `{"suiteKey":"` + dingtalktest.DemoSuiteKey + `","suiteTicket":"` + dingtalktest.DemoSuiteTicket + `"}`

	disabled := newEnv(t, options{suites: []resolve.Suite{suite}})
	if got := post(disabled, "Bearer "+token, good); got != http.StatusNotFound {
		t.Errorf("disabled endpoint: %d", got)
	}

	e := newEnv(t, options{suites: []resolve.Suite{suite}, pushToken: token})
	for _, tt := range []struct {
		name, auth, body string
		want             int
	}{
		{"no token", "", good, http.StatusUnauthorized},
		{"wrong token", "Bearer " + token + "x", good, http.StatusUnauthorized},
		{"basic auth", "Basic " + token, good, http.StatusUnauthorized},
		{"bad body", "Bearer " + token, `{"suiteKey":""}`, http.StatusBadRequest},
		{"unknown suite", "Bearer " + token, `{"suiteKey":"nope","suiteTicket":"t"}`, http.StatusBadRequest},
		{"stored", "bearer " + token, good, http.StatusNoContent},
	} {
		if got := post(e, tt.auth, tt.body); got != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, got, tt.want)
		}
	}
	// The pushed ticket lets the suite fetch corp tokens: a workspace login
	// in the suite's corp completes.
	b := newBrowser(t, dingTalkUA)
	res := e.postWorkspace(b, e.start(b, url.Values{"corp_id": {dingtalktest.DemoCorp2ID}}),
		e.dt.IssueCode(dingtalktest.CodeJSAPI, "", dingtalktest.DemoCorp2ID, "bob.smith")).result(t)
	wantAMR(t, res, resolve.AMRWorkspace)
	if strings.Contains(e.logs.String(), dingtalktest.DemoSuiteTicket) || strings.Contains(e.logs.String(), token) {
		t.Error("a ticket or the push token was logged")
	}
}

func TestNewValidates(t *testing.T) {
	_, err := login.New(login.Config{JSAPIScriptURL: "/relative.js", CookieHashKey: []byte("short")})
	if err == nil {
		t.Fatal("New accepted an empty config")
	}
	for _, want := range []string{"provider is required", "resolver is required", "cookie hash key", "cookie block key", "jsapi script url"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// TestStartEntryKeepsSession checks that the workspace entry hands an
// existing session to the client as it is: visiting the entry URL (a
// plain GET any page can trigger) must not make a new session whose
// auth_time is now, which would let max_age pass without a login and keep
// a session alive forever.
func TestStartEntryKeepsSession(t *testing.T) {
	e := newEnv(t, options{})
	b := newBrowser(t, dingTalkUA)
	start := e.issuer + "/dingtalk/start/app1?corpId=" + dingtalktest.DemoCorpID
	first := e.postWorkspace(b, b.get(start), e.dt.IssueCode(dingtalktest.CodeJSAPI, "", dingtalktest.DemoCorpID, "alice.wang")).result(t)
	e.clock.Advance(2 * time.Hour)
	again := b.get(start).result(t)
	if again.Sub != first.Sub || !again.Initiated {
		t.Fatalf("second entry = %+v", again)
	}
	if again.Claims["auth_time"] != first.Claims["auth_time"] {
		t.Errorf("auth_time after the entry hand-off = %v, want the login's %v", again.Claims["auth_time"], first.Claims["auth_time"])
	}
	// max_age shorter than the session's age needs a fresh login.
	if p := e.start(b, url.Values{"max_age": {"3600"}}); !strings.Contains(p.body, `id="dd-login"`) {
		t.Errorf("max_age=3600 two hours after the login: %d at %s, want the workspace page", p.status, p.url)
	}
}
