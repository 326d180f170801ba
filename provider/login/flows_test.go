package login_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
	"github.com/dingbridge/dingbridge/provider/resolve"
)

func wantAMR(t *testing.T, r rpResult, flow string) {
	t.Helper()
	if r.Sub == "" || r.Error != "" {
		t.Fatalf("RP got %+v, want a login", r)
	}
	if !slices.Contains(r.AMR, "dingtalk") || !slices.Contains(r.AMR, flow) {
		t.Errorf("amr = %v, want dingtalk and %s", r.AMR, flow)
	}
}

func TestQRPageAndCallback(t *testing.T) {
	e := newEnv(t, options{})
	b := newBrowser(t, "")
	qr := e.start(b, nil)
	if qr.status != http.StatusOK || qr.url.Path != "/dingbridge/authorize" {
		t.Fatalf("QR page: %d at %s", qr.status, qr.url)
	}
	csp := qr.header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self' " + e.dt.URL, "frame-src " + e.dt.URL, "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(qr.body, "<script>") || strings.Contains(qr.body, "onclick") {
		t.Error("QR page has inline script")
	}
	if got := qr.attr(t, "data-client-id"); got != dingtalktest.DemoAppKey {
		t.Errorf("data-client-id = %q", got)
	}
	if got := qr.attr(t, "data-redirect-uri"); got != e.issuer+"/login/dingtalk/callback" {
		t.Errorf("data-redirect-uri = %q", got)
	}
	// The static script the page loads is served.
	if js := b.get(e.issuer + "/login/assets/qr.js"); js.status != 200 || !strings.Contains(js.body, "DTFrameLogin") {
		t.Errorf("qr.js: %d", js.status)
	}
	code := e.dt.IssueCode(dingtalktest.CodeOAuth, dingtalktest.DemoAppKey, dingtalktest.DemoCorpID, "alice.wang")
	res := e.callback(b, qr.attr(t, "data-state"), code).result(t)
	wantAMR(t, res, resolve.AMROAuth2)
	if strings.Contains(e.logs.String(), code) {
		t.Error("the DingTalk code was logged")
	}
}

// TestQRThroughSimulatorPage follows the page's link to DingTalk's login
// page and picks a member there, as a person would.
func TestQRThroughSimulatorPage(t *testing.T) {
	e := newEnv(t, options{})
	b := newBrowser(t, "")
	qr := e.start(b, nil)
	dt := b.get(qr.link(t, "DingTalk's sign-in page"))
	if dt.status != http.StatusOK || !strings.Contains(dt.body, "alice.wang") {
		t.Fatalf("DingTalk's page: %d\n%s", dt.status, dt.body)
	}
	form := url.Values{}
	for _, name := range []string{"client_id", "redirect_uri", "response_type", "scope", "prompt", "state"} {
		form.Set(name, dt.input(t, name))
	}
	form.Set("user", dingtalktest.DemoCorpID+":alice.wang")
	res := b.post(e.dt.URL+"/oauth2/auth", form).result(t)
	wantAMR(t, res, resolve.AMROAuth2)
	if res.Claims["name"] != nil && res.Claims["name"] != "Alice Wang" {
		t.Errorf("name = %v", res.Claims["name"])
	}
}

func TestLegacyQRLink(t *testing.T) {
	e := newEnv(t, options{})
	b := newBrowser(t, "")
	qr := e.start(b, nil)
	legacy, err := url.Parse(qr.link(t, "classic QR"))
	if err != nil || legacy.Query().Get("appid") != dingtalktest.DemoLoginAppID {
		t.Fatalf("legacy link = %v", legacy)
	}
	code := e.dt.IssueCode(dingtalktest.CodeSNS, dingtalktest.DemoLoginAppID, dingtalktest.DemoCorpID, "alice.wang")
	res := b.get(e.issuer + "/login/dingtalk/sns/callback?" + url.Values{"code": {code}, "state": {legacy.Query().Get("state")}}.Encode()).result(t)
	wantAMR(t, res, resolve.AMRSNS)
}

func TestWorkspaceFlow(t *testing.T) {
	e := newEnv(t, options{})
	b := newBrowser(t, dingTalkUA)
	ws := e.start(b, nil)
	if ws.status != http.StatusOK || !strings.Contains(ws.body, `id="dd-login"`) {
		t.Fatalf("want the workspace page, got %d:\n%s", ws.status, ws.body)
	}
	if !strings.Contains(ws.body, `<script src="`+e.dt.URL+`/dingtalk.open.js"></script>`) ||
		!strings.Contains(ws.body, `<script src="`+e.issuer+`/login/assets/workspace.js"></script>`) {
		t.Errorf("workspace page does not load the JSAPI and its script:\n%s", ws.body)
	}
	csp := ws.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "form-action 'self' "+e.rp.srv.URL) || !strings.Contains(csp, "frame-ancestors 'self' https://*.dingtalk.com") {
		t.Errorf("workspace CSP = %q", csp)
	}
	if got := ws.attr(t, "data-corp-id"); got != dingtalktest.DemoCorpID {
		t.Errorf("data-corp-id = %q", got)
	}
	res := e.postWorkspace(b, ws, e.dt.IssueCode(dingtalktest.CodeJSAPI, "", dingtalktest.DemoCorpID, "alice.wang")).result(t)
	wantAMR(t, res, resolve.AMRWorkspace)
}

func TestDevCookieCountsAsDingTalk(t *testing.T) {
	for _, dev := range []bool{false, true} {
		e := newEnv(t, options{dev: dev})
		b := newBrowser(t, "")
		u, _ := url.Parse(e.issuer)
		b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "dbdev_client", Value: "dingtalk", Path: "/"}})
		p := e.start(b, nil)
		if got := strings.Contains(p.body, `id="dd-login"`); got != dev {
			t.Errorf("Dev=%v: workspace page = %v", dev, got)
		}
	}
}

func TestInClientSNS(t *testing.T) {
	c := corp1()
	c.InClient = resolve.InClientSNS
	e := newEnv(t, options{corps: []resolve.Corp{c}})
	e.dt.SetClientUser(dingtalktest.DemoCorpID, "alice.wang")
	b := newBrowser(t, dingTalkUA)
	// /login redirects to sns_authorize, which inside DingTalk answers at
	// once with a code for the client's user.
	res := e.start(b, nil).result(t)
	wantAMR(t, res, resolve.AMRSNS)
	if e.dt.Calls(dingtalktest.EndpointSNSAuthorize) != 1 {
		t.Errorf("sns_authorize calls = %d", e.dt.Calls(dingtalktest.EndpointSNSAuthorize))
	}
}

func TestSameSubAcrossFlows(t *testing.T) {
	e := newEnv(t, options{})
	subs := map[string]string{}
	subs["qr"] = e.qrLogin(newBrowser(t, ""), dingtalktest.DemoCorpID, "alice.wang").Sub
	subs["workspace"] = e.workspaceLogin(newBrowser(t, dingTalkUA), dingtalktest.DemoCorpID, "alice.wang", nil).Sub

	b := newBrowser(t, "")
	qr := e.start(b, nil)
	legacy, _ := url.Parse(qr.link(t, "classic QR"))
	code := e.dt.IssueCode(dingtalktest.CodeSNS, dingtalktest.DemoLoginAppID, dingtalktest.DemoCorpID, "alice.wang")
	subs["sns"] = b.get(e.issuer + "/login/dingtalk/sns/callback?" + url.Values{"code": {code}, "state": {legacy.Query().Get("state")}}.Encode()).result(t).Sub

	sso := e.dt.IssueCode(dingtalktest.CodeSSO, "", dingtalktest.DemoCorpID, "alice.wang")
	admin := newBrowser(t, "").get(e.issuer + "/dingtalk/admin/app1?code=" + url.QueryEscape(sso)).result(t)
	wantAMR(t, admin, resolve.AMRAdminConsole)
	subs["admin"] = admin.Sub

	mini := e.tokenExchange(t, e.dt.IssueCode(dingtalktest.CodeJSAPI, "", dingtalktest.DemoCorpID, "alice.wang"), dingtalktest.DemoCorpID)
	subs["mini_program"] = mini.sub

	for flow, sub := range subs {
		if sub == "" || sub != subs["qr"] {
			t.Errorf("sub via %s = %q, via qr %q", flow, sub, subs["qr"])
		}
	}
	// Another person is another subject.
	if other := e.qrLogin(newBrowser(t, ""), dingtalktest.DemoCorpID, "boss0001").Sub; other == subs["qr"] {
		t.Error("two people share a subject")
	}
}

func TestAdminConsoleEntry(t *testing.T) {
	e := newEnv(t, options{})
	b := newBrowser(t, "")
	code := e.dt.IssueCode(dingtalktest.CodeSSO, "", dingtalktest.DemoCorpID, "manager4721")
	res := b.get(e.issuer + "/dingtalk/admin/app1?code=" + url.QueryEscape(code)).result(t)
	wantAMR(t, res, resolve.AMRAdminConsole)
	if !res.Initiated {
		t.Error("the RP's authorization request did not come from initiate_login_uri")
	}
	// The session the entry opened serves the next login at once.
	if again := e.start(b, nil).result(t); again.Sub != res.Sub {
		t.Errorf("second login sub = %q, want %q", again.Sub, res.Sub)
	}
	// A replayed admin code is refused with its own page.
	p := newBrowser(t, "").get(e.issuer + "/dingtalk/admin/app1?code=" + url.QueryEscape(code))
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "admin console") {
		t.Errorf("replayed SSO code: %d\n%s", p.status, p.body)
	}
	// Unknown client, missing code.
	if p := b.get(e.issuer + "/dingtalk/admin/nope?code=x"); p.status != http.StatusNotFound || !strings.Contains(p.body, "Unknown application") {
		t.Errorf("unknown client: %d\n%s", p.status, p.body)
	}
	if p := b.get(e.issuer + "/dingtalk/admin/app1"); p.status != http.StatusBadRequest {
		t.Errorf("no code: %d", p.status)
	}
}

func TestStartEntry(t *testing.T) {
	e := newEnv(t, options{})
	b := newBrowser(t, dingTalkUA)
	start := e.issuer + "/dingtalk/start/app1?corpId=" + dingtalktest.DemoCorpID
	ws := b.get(start)
	if !strings.Contains(ws.body, `id="dd-login"`) {
		t.Fatalf("start: want the workspace page:\n%s", ws.body)
	}
	res := e.postWorkspace(b, ws, e.dt.IssueCode(dingtalktest.CodeJSAPI, "", dingtalktest.DemoCorpID, "alice.wang")).result(t)
	wantAMR(t, res, resolve.AMRWorkspace)
	if !res.Initiated {
		t.Error("hand-off did not go through initiate_login_uri")
	}
	// With the session, the entry hands off at once.
	again := b.get(start).result(t)
	if again.Sub != res.Sub || !again.Initiated {
		t.Errorf("second entry = %+v", again)
	}
	// An unreplaced $CORPID$ counts as no corp; with one corp that is fine.
	if p := newBrowser(t, dingTalkUA).get(e.issuer + "/dingtalk/start/app1?corpid=$CORPID$"); !strings.Contains(p.body, `data-corp-id="`+dingtalktest.DemoCorpID+`"`) {
		t.Errorf("$CORPID$: %d\n%s", p.status, p.body)
	}
	// Outside DingTalk the entry sends the browser to the client, which
	// starts an ordinary login: the QR page.
	qr := newBrowser(t, "").get(start)
	if !strings.Contains(qr.body, `id="dt-qr"`) {
		t.Errorf("outside DingTalk: %d at %s\n%s", qr.status, qr.url, qr.body)
	}
}

func TestCorpChooser(t *testing.T) {
	e := newEnv(t, options{corps: []resolve.Corp{corp1(), corp2()}})
	b := newBrowser(t, dingTalkUA)
	ch := e.start(b, nil)
	if ch.status != http.StatusOK || !strings.Contains(ch.body, dingtalktest.DemoCorpName) || !strings.Contains(ch.body, dingtalktest.DemoCorp2Name) {
		t.Fatalf("want the chooser with both corps:\n%s", ch.body)
	}
	ws := b.get(ch.link(t, dingtalktest.DemoCorp2Name))
	if got := ws.attr(t, "data-corp-id"); got != dingtalktest.DemoCorp2ID {
		t.Fatalf("chosen corp = %q", got)
	}
	res := e.postWorkspace(b, ws, e.dt.IssueCode(dingtalktest.CodeJSAPI, "", dingtalktest.DemoCorp2ID, "bob.smith")).result(t)
	wantAMR(t, res, resolve.AMRWorkspace)

	// A named corp skips the chooser: corp_id, login_hint corp:…, …@corp.
	for _, params := range []url.Values{
		{"corp_id": {dingtalktest.DemoCorpID}},
		{"login_hint": {"corp:" + dingtalktest.DemoCorpID}},
		{"login_hint": {"alice@" + dingtalktest.DemoCorpID}},
	} {
		p := e.start(newBrowser(t, dingTalkUA), params)
		if got := p.attr(t, "data-corp-id"); got != dingtalktest.DemoCorpID {
			t.Errorf("%v: corp = %q", params, got)
		}
	}
	// Outside DingTalk with two internal apps and no suite, the QR page
	// needs the chooser too.
	if p := e.start(newBrowser(t, ""), nil); !strings.Contains(p.body, "Choose an organization") {
		t.Errorf("QR without corp: %s", p.body)
	}
}

func TestPageLanguage(t *testing.T) {
	e := newEnv(t, options{})
	b := newBrowser(t, "")
	qr := e.start(b, url.Values{"ui_locales": {"zh-CN"}})
	if !strings.Contains(qr.body, `<html lang="zh-CN">`) || !strings.Contains(qr.body, "使用钉钉登录") {
		t.Fatalf("ui_locales=zh-CN: %s", qr.body)
	}
	// The language travels with the state to the callback's error page.
	code := e.dt.IssueCode(dingtalktest.CodeJSAPI, "", dingtalktest.DemoCorpID, "alice.wang")
	p := e.callback(b, qr.attr(t, "data-state"), code)
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "钉钉登录码无效") || !strings.Contains(p.body, "请求编号") {
		t.Errorf("error page language: %d\n%s", p.status, p.body)
	}
	// Without ui_locales, Accept-Language decides.
	if qr := e.start(newBrowser(t, ""), nil); !strings.Contains(qr.body, `<html lang="en">`) {
		t.Errorf("Accept-Language en: %s", qr.body)
	}
}
