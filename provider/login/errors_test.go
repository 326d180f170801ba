package login_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
	"github.com/dingbridge/dingbridge/provider/resolve"
	"github.com/dingbridge/dingbridge/storage"
)

// cancelVia follows the page's "back to the application" link and returns
// what the RP received.
func cancelVia(t *testing.T, b *browser, p page) rpResult {
	t.Helper()
	return b.get(p.link(t, "Back to the application")).result(t)
}

func TestReplayedAndWrongKindCodes(t *testing.T) {
	e := newEnv(t, options{})
	b := newBrowser(t, dingTalkUA)
	code := e.dt.IssueCode(dingtalktest.CodeJSAPI, "", dingtalktest.DemoCorpID, "alice.wang")
	e.postWorkspace(b, e.start(b, nil), code).result(t)

	for name, code := range map[string]string{
		"replayed":   code,
		"wrong kind": e.dt.IssueCode(dingtalktest.CodeOAuth, dingtalktest.DemoAppKey, dingtalktest.DemoCorpID, "alice.wang"),
	} {
		t.Run(name, func(t *testing.T) {
			b := newBrowser(t, dingTalkUA)
			p := e.postWorkspace(b, e.start(b, nil), code)
			if p.status != http.StatusBadRequest || !strings.Contains(p.body, "40078") || !strings.Contains(p.body, "Try again") {
				t.Fatalf("status %d, want 400 with 40078:\n%s", p.status, p.body)
			}
			if !strings.Contains(p.body, "Request ID") {
				t.Error("no request id on the page")
			}
			if res := cancelVia(t, b, p); res.Error != "access_denied" {
				t.Errorf("RP got %+v, want access_denied", res)
			}
		})
	}
	// Retry link leads back to the login.
	b2 := newBrowser(t, dingTalkUA)
	p := e.postWorkspace(b2, e.start(b2, nil), code)
	if retry := b2.get(p.link(t, "Try again")); !strings.Contains(retry.body, `id="dd-login"`) {
		t.Errorf("retry: %s", retry.body)
	}
}

func TestStateRefused(t *testing.T) {
	e := newEnv(t, options{})
	b := newBrowser(t, "")
	qr := e.start(b, nil)
	state := qr.attr(t, "data-state")
	code := func() string {
		return e.dt.IssueCode(dingtalktest.CodeOAuth, dingtalktest.DemoAppKey, dingtalktest.DemoCorpID, "alice.wang")
	}
	want400 := func(name string, p page) {
		t.Helper()
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "no longer valid") || strings.Contains(p.body, "Back to the application") {
			t.Errorf("%s: status %d\n%s", name, p.status, p.body)
		}
	}
	want400("missing state", b.get(e.issuer+"/login/dingtalk/callback?authCode="+code()))
	want400("foreign browser", e.callback(newBrowser(t, ""), state, code()))
	want400("wrong state", e.callback(b, state+"x", code()))
	want400("workspace post with QR state", b.post(e.issuer+"/login/dingtalk/workspace", url.Values{"state": {state}, "code": {code()}}))
	// The QR state was spent by the wrong-flow attempt: single use.
	want400("reused", e.callback(b, state, code()))

	qr = e.start(b, nil)
	e.clock.Advance(11 * time.Minute)
	want400("expired", e.callback(b, qr.attr(t, "data-state"), code()))
}

func TestCancelledAtDingTalk(t *testing.T) {
	e := newEnv(t, options{})
	b := newBrowser(t, "")
	qr := e.start(b, nil)
	p := b.get(e.issuer + "/login/dingtalk/callback?" + url.Values{"error": {"access_denied"}, "state": {qr.attr(t, "data-state")}}.Encode())
	if !strings.Contains(p.body, "Sign-in cancelled") {
		t.Fatalf("cancel page: %d\n%s", p.status, p.body)
	}
	if res := cancelVia(t, b, p); res.Error != "access_denied" {
		t.Errorf("RP got %+v", res)
	}
}

func TestPromptNone(t *testing.T) {
	e := newEnv(t, options{})
	none := url.Values{"prompt": {"none"}}

	// With a session: a code at once.
	b := newBrowser(t, "")
	first := e.qrLogin(b, dingtalktest.DemoCorpID, "alice.wang")
	if res := e.start(b, none).result(t); res.Sub != first.Sub {
		t.Errorf("prompt=none with session = %+v", res)
	}
	// Outside DingTalk without a session: login_required, no page.
	if res := e.start(newBrowser(t, ""), none).result(t); res.Error != "login_required" {
		t.Errorf("outside without session = %+v", res)
	}
	// Inside DingTalk without a session: the silent workspace page, whose
	// POST completes.
	res := e.workspaceLogin(newBrowser(t, dingTalkUA), dingtalktest.DemoCorpID, "alice.wang", none)
	if res.Sub != first.Sub {
		t.Errorf("silent workspace = %+v", res)
	}
	// … and whose JSAPI failure is login_required, not a page.
	b = newBrowser(t, dingTalkUA)
	ws := e.start(b, none)
	if res := b.get(ws.attr(t, "data-fail-url") + "&jsapi_error=3").result(t); res.Error != "login_required" {
		t.Errorf("silent JSAPI failure = %+v", res)
	}
	// A silent attempt with a bad code is login_required too.
	b = newBrowser(t, dingTalkUA)
	if res := e.postWorkspace(b, e.start(b, none), "bogus-code").result(t); res.Error != "login_required" {
		t.Errorf("silent bad code = %+v", res)
	}
}

func TestJSAPIFailurePage(t *testing.T) {
	e := newEnv(t, options{})
	b := newBrowser(t, dingTalkUA)
	ws := e.start(b, nil)
	p := b.get(ws.attr(t, "data-fail-url") + "&jsapi_error=3")
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "did not provide a sign-in code") {
		t.Fatalf("JSAPI failure page: %d\n%s", p.status, p.body)
	}
	if res := cancelVia(t, b, p); res.Error != "access_denied" {
		t.Errorf("RP got %+v", res)
	}
}

func TestPolicyRefusals(t *testing.T) {
	tests := []struct {
		name   string
		policy storage.ClientPolicy
		corps  bool // two corps
		run    func(e *env, b *browser) page
		text   string
	}{
		{"inactive", storage.ClientPolicy{}, false, func(e *env, b *browser) page {
			return e.postWorkspace(b, e.start(b, nil), e.dt.IssueCode(dingtalktest.CodeJSAPI, "", dingtalktest.DemoCorpID, "wangwu"))
		}, "not active"},
		{"not in department", storage.ClientPolicy{RequiredDepartments: []int64{1 << 40}}, false, func(e *env, b *browser) page {
			return e.postWorkspace(b, e.start(b, nil), e.dt.IssueCode(dingtalktest.CodeJSAPI, "", dingtalktest.DemoCorpID, "alice.wang"))
		}, "department"},
		{"corp not allowed", storage.ClientPolicy{AllowedCorps: []string{dingtalktest.DemoCorp2ID}}, true, func(e *env, b *browser) page {
			return e.start(b, url.Values{"corp_id": {dingtalktest.DemoCorpID}})
		}, "may not use this application"},
		{"not a member", storage.ClientPolicy{MembersOnly: true, AllowedCorps: []string{dingtalktest.DemoCorpID}}, true, func(e *env, b *browser) page {
			qr := e.start(b, nil)
			legacy, _ := url.Parse(qr.link(e.t, "classic QR"))
			code := e.dt.IssueCode(dingtalktest.CodeSNS, dingtalktest.DemoLoginAppID, dingtalktest.DemoCorp2ID, "bob.smith")
			return b.get(e.issuer + "/login/dingtalk/sns/callback?" + url.Values{"code": {code}, "state": {legacy.Query().Get("state")}}.Encode())
		}, "not a member"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := options{policy: tt.policy}
			if tt.corps {
				o.corps = []resolve.Corp{corp1(), corp2()}
			}
			e := newEnv(t, o)
			ua := dingTalkUA
			if tt.name == "not a member" {
				ua = ""
			}
			b := newBrowser(t, ua)
			p := tt.run(e, b)
			if p.status != http.StatusForbidden || !strings.Contains(p.body, tt.text) {
				t.Fatalf("status %d, want 403 with %q:\n%s", p.status, tt.text, p.body)
			}
			if res := cancelVia(t, b, p); res.Error != "access_denied" {
				t.Errorf("RP got %+v, want access_denied", res)
			}
		})
	}
}

func TestThrottledDingTalk(t *testing.T) {
	e := newEnv(t, options{})
	b := newBrowser(t, dingTalkUA)
	ws := e.start(b, nil)
	e.dt.Fail(dingtalktest.EndpointGetUserInfo, dingtalktest.Fault{Kind: dingtalktest.FaultThrottle})
	p := e.postWorkspace(b, ws, e.dt.IssueCode(dingtalktest.CodeJSAPI, "", dingtalktest.DemoCorpID, "alice.wang"))
	if p.status != http.StatusServiceUnavailable || !strings.Contains(p.body, "rate limiting") {
		t.Fatalf("throttled: %d\n%s", p.status, p.body)
	}
	if res := cancelVia(t, b, p); res.Error != "temporarily_unavailable" {
		t.Errorf("RP got %+v", res)
	}
}

// TestStateCookiesBounded: a browser that opens many login pages holds at
// most three state cookies (each carries its request's sealed handle), so
// its Cookie header stays within what proxies accept even with handles
// near the longest sealed and a session cookie beside them; the newest
// logins still complete and the dropped ones are refused.
func TestStateCookiesBounded(t *testing.T) {
	e := newEnv(t, options{})
	b := newBrowser(t, "")
	e.qrLogin(b, dingtalktest.DemoCorpID, "alice.wang") // a session cookie
	var states []string
	for range 6 {
		p := e.start(b, url.Values{"prompt": {"login"}, "login_hint": {strings.Repeat("h", 560)}})
		states = append(states, p.attr(t, "data-state"))
	}
	u, _ := url.Parse(e.issuer + "/login/dingtalk/callback")
	n, size := 0, 0
	for _, c := range b.c.Jar.Cookies(u) {
		if strings.HasPrefix(c.Name, "dbstate_") {
			n++
		}
		size += len(c.Name) + len(c.Value) + 2
		if _, handle, _ := strings.Cut(c.Value, "."); strings.HasPrefix(c.Name, "dbstate_") && len(handle) < 1000 {
			t.Errorf("state cookie of %d bytes with a handle of %d: its request was not sealed, or not near the longest sealed handle (1100), the test no longer measures the largest", len(c.Value), len(handle))
		}
	}
	if n != 3 || size > 8<<10 {
		t.Errorf("after 6 login pages: %d state cookies, Cookie header of %d bytes; want 3 and at most 8 KiB", n, size)
	}
	code := func() string {
		return e.dt.IssueCode(dingtalktest.CodeOAuth, dingtalktest.DemoAppKey, dingtalktest.DemoCorpID, "alice.wang")
	}
	if p := e.callback(b, states[0], code()); p.status != http.StatusBadRequest || !strings.Contains(p.body, "no longer valid") {
		t.Errorf("the oldest, dropped state: status %d\n%s", p.status, p.body)
	}
	if res := e.callback(b, states[5], code()).result(t); res.Sub == "" {
		t.Errorf("the newest state: %+v", res)
	}
}
