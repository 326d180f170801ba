package login_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
	"github.com/dingbridge/dingbridge/internal/chromiumtest"
	"github.com/dingbridge/dingbridge/provider/resolve"
	"github.com/dingbridge/dingbridge/storage"
)

// These tests run every page of the DingTalk login in headless Chromium
// (see chromium_browser_test.go): the simulator's DTFrameLogin script,
// login page and dd shim, the bridge's pages and scripts under their
// Content-Security-Policy, and a go-oidc relying party whose callback
// redeems the code.

// androidDingTalkUA is the DingTalk Android client's in-app webview
// (reference §6).
const androidDingTalkUA = "Mozilla/5.0 (Linux; U; Android 10; zh-CN; V1981A Build/QP1A.190711.020) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/69.0.3497.100 UWS/3.22.0.36 Mobile Safari/537.36 AliApp(DingTalk/6.0.0) com.alibaba.android.rimet/13534898 Channel/212200 language/zh-CN UT4Aplus/0.2.25"

// browserPolicy releases the profile and dingtalk claims in the ID token,
// so the RP's callback shows them.
var browserPolicy = storage.ClientPolicy{ClaimsInIDToken: true, Email: "org", AlwaysRelease: []string{"profile", "email", "dingtalk"}}

// member is the value of a person's button on the simulator's login page.
func member(corpID, userID string) string {
	return `button.user[value="` + corpID + `:` + userID + `"]`
}

// qrFrameLogin signs userID of the first demo corp in on the QR page,
// choosing the person inside DTFrameLogin's iframe.
func qrFrameLogin(t *testing.T, e *env, b *chromiumtest.Tab, userID string) rpResult {
	t.Helper()
	b.Navigate(e.rp.srv.URL + "/start")
	b.WaitForPage(e.issuer + "/authorize")
	b.WaitFor("DTFrameLogin's iframe", `!!document.querySelector("#dt-qr iframe")`)
	if src := b.Attr("#dt-qr iframe", "src"); !strings.HasPrefix(src, e.dt.URL+"/oauth2/auth?") {
		t.Fatalf("the QR iframe shows %s, want the simulator's login page", chromiumtest.Redact(src))
	}
	b.ClickInFrame("#dt-qr iframe", member(dingtalktest.DemoCorpID, userID))
	return readRPResult(t, b, e)
}

// wantClaims checks the claims a person's login through the demo corp
// yields.
func wantClaims(t *testing.T, r rpResult, name, userID string) {
	t.Helper()
	if r.Claims["name"] != name {
		t.Errorf("name = %v, want %s", r.Claims["name"], name)
	}
	dt, _ := r.Claims["dingtalk"].(map[string]any)
	if dt["corp_id"] != dingtalktest.DemoCorpID || dt["user_id"] != userID {
		t.Errorf("dingtalk claim = %v, want corp %s user %s", dt, dingtalktest.DemoCorpID, userID)
	}
}

// TestBrowserQRFrame: the QR page draws DTFrameLogin's iframe from the
// simulator; picking a person inside it calls the page's success callback,
// which goes to the bridge's callback and on to the RP with a code that
// redeems.
func TestBrowserQRFrame(t *testing.T) {
	c := newChromium(t)
	e := newEnv(t, options{policy: browserPolicy})
	b := c.NewTab(t, chromiumtest.TabOptions{})
	res := qrFrameLogin(t, e, b, "alice.wang")
	wantAMR(t, res, resolve.AMROAuth2)
	wantClaims(t, res, "Alice Wang", "alice.wang")
	b.NoSecurityErrors()

	// The bridge session now serves another login in the same browser
	// without DingTalk.
	calls := e.dt.Calls(dingtalktest.EndpointUserAccessToken)
	b.Navigate(e.rp.srv.URL + "/start")
	if again := readRPResult(t, b, e); again.Sub != res.Sub {
		t.Errorf("second login: sub %q, want %q", again.Sub, res.Sub)
	}
	if n := e.dt.Calls(dingtalktest.EndpointUserAccessToken); n != calls {
		t.Errorf("second login asked DingTalk for a token (%d calls, was %d)", n, calls)
	}
}

// TestBrowserDingTalkLoginPage follows the QR page's plain link to
// DingTalk's own login page and signs in there: by picking a person, or
// with account and password.
func TestBrowserDingTalkLoginPage(t *testing.T) {
	c := newChromium(t)
	e := newEnv(t, options{policy: browserPolicy})
	link := `a.button[href^="` + e.dt.URL + `/oauth2/auth?"]`
	toDingTalk := func(b *chromiumtest.Tab) {
		t.Helper()
		b.Navigate(e.rp.srv.URL + "/start")
		b.WaitForPage(e.issuer + "/authorize")
		b.Click(link)
		b.WaitForPage(e.dt.URL + "/oauth2/auth")
	}

	var alice string
	t.Run("pick", func(t *testing.T) {
		b := c.NewTab(t, chromiumtest.TabOptions{})
		toDingTalk(b)
		b.Click(member(dingtalktest.DemoCorpID, "alice.wang"))
		res := readRPResult(t, b, e)
		wantAMR(t, res, resolve.AMROAuth2)
		wantClaims(t, res, "Alice Wang", "alice.wang")
		b.NoSecurityErrors()
		alice = res.Sub
	})
	t.Run("classic QR", func(t *testing.T) {
		b := c.NewTab(t, chromiumtest.TabOptions{})
		b.Navigate(e.rp.srv.URL + "/start")
		b.WaitForPage(e.issuer + "/authorize")
		b.Click(`a[href^="` + e.dt.URL + `/connect/qrconnect?"]`)
		b.WaitForPage(e.dt.URL + "/connect/qrconnect")
		b.Click(member(dingtalktest.DemoCorpID, "alice.wang"))
		res := readRPResult(t, b, e)
		wantAMR(t, res, resolve.AMRSNS)
		wantClaims(t, res, "Alice Wang", "alice.wang")
		if alice != "" && res.Sub != alice {
			t.Errorf("classic QR sub = %q, DingTalk's page gave %q", res.Sub, alice)
		}
		b.NoSecurityErrors()
	})
	t.Run("password", func(t *testing.T) {
		b := c.NewTab(t, chromiumtest.TabOptions{})
		toDingTalk(b)
		b.TypeInto(`input[name="account"]`, "zhangsan@yunqiao.example")
		b.TypeInto(`input[name="password"]`, dingtalktest.DemoPassword)
		b.Click(`button[name="action"][value="password"]`)
		res := readRPResult(t, b, e)
		wantAMR(t, res, resolve.AMROAuth2)
		wantClaims(t, res, "张三", "manager4721")
		if res.Claims["email"] != "zhangsan@yunqiao.example" || res.Claims["email_verified"] != true {
			t.Errorf("email = %v (verified %v), want the org email, verified", res.Claims["email"], res.Claims["email_verified"])
		}
		b.NoSecurityErrors()
	})
}

// TestBrowserWorkspace: inside the DingTalk client the workspace page gets
// a code from the dd JSAPI (the simulator's shim, for its current client
// user) and posts it without a click; the person has the subject the QR
// page gave them.
func TestBrowserWorkspace(t *testing.T) {
	c := newChromium(t)
	e := newEnv(t, options{policy: browserPolicy})
	qr := qrFrameLogin(t, e, c.NewTab(t, chromiumtest.TabOptions{}), "alice.wang")

	e.dt.SetClientUser(dingtalktest.DemoCorpID, "alice.wang")
	b := c.NewTab(t, chromiumtest.TabOptions{Mobile: true, UserAgent: androidDingTalkUA, Language: "zh-CN"})
	b.Navigate(e.rp.srv.URL + "/start")
	res := readRPResult(t, b, e)
	wantAMR(t, res, resolve.AMRWorkspace)
	wantClaims(t, res, "Alice Wang", "alice.wang")
	if res.Sub != qr.Sub {
		t.Errorf("workspace sub = %q, QR sub = %q: one person, two subjects", res.Sub, qr.Sub)
	}
	if n := e.dt.Calls(dingtalktest.EndpointGetUserInfo); n != 1 {
		t.Errorf("E7 getuserinfo calls = %d, want 1 (the shim's code)", n)
	}
	b.NoSecurityErrors()

	// Another person in the client is another subject.
	e.dt.SetClientUser(dingtalktest.DemoCorpID, "boss0001")
	b = c.NewTab(t, chromiumtest.TabOptions{Mobile: true, UserAgent: androidDingTalkUA})
	b.Navigate(e.rp.srv.URL + "/start")
	if boss := readRPResult(t, b, e); boss.Sub == "" || boss.Sub == qr.Sub {
		t.Errorf("boss0001 sub = %q, Alice's %q", boss.Sub, qr.Sub)
	}
}

// TestBrowserJSAPIFailure: when dd.requestAuthCode fails the workspace page
// falls back to dd.runtime.permission.requestAuthCode; when that fails too
// it shows why (or, for prompt=none, the RP gets login_required).
func TestBrowserJSAPIFailure(t *testing.T) {
	c := newChromium(t)
	e := newEnv(t, options{policy: browserPolicy})
	e.dt.SetClientUser(dingtalktest.DemoCorpID, "alice.wang")
	dingTalk := chromiumtest.TabOptions{Mobile: true, UserAgent: androidDingTalkUA}

	t.Run("legacy API", func(t *testing.T) {
		e.dt.Fail(dingtalktest.EndpointJSAPIAuthCode, dingtalktest.Fault{Kind: dingtalktest.FaultServerError})
		before := e.dt.Calls(dingtalktest.EndpointJSAPIAuthCode)
		b := c.NewTab(t, dingTalk)
		b.Navigate(e.rp.srv.URL + "/start")
		res := readRPResult(t, b, e)
		wantAMR(t, res, resolve.AMRWorkspace)
		if n := e.dt.Calls(dingtalktest.EndpointJSAPIAuthCode) - before; n != 2 {
			t.Errorf("JSAPI code requests = %d, want 2 (the current API, then the legacy one)", n)
		}
		b.NoSecurityErrors()
	})

	e.dt.Fail(dingtalktest.EndpointJSAPIAuthCode, dingtalktest.Fault{Kind: dingtalktest.FaultServerError, Times: dingtalktest.Always})
	t.Run("no code", func(t *testing.T) {
		b := c.NewTab(t, dingTalk)
		b.Navigate(e.rp.srv.URL + "/start")
		b.WaitForPage(e.issuer + "/login/dingtalk/jsapi-error")
		if text := b.Text(); !strings.Contains(text, "did not provide a sign-in code") {
			t.Errorf("JSAPI error page:\n%s", text)
		}
		b.Click(`p.back a`)
		if res := readRPResult(t, b, e); res.Error != "access_denied" {
			t.Errorf("RP got %+v, want access_denied", res)
		}
		b.NoSecurityErrors()
	})
	t.Run("prompt=none", func(t *testing.T) {
		b := c.NewTab(t, dingTalk)
		b.Navigate(e.rp.srv.URL + "/start?prompt=none")
		if res := readRPResult(t, b, e); res.Error != "login_required" {
			t.Errorf("RP got %+v, want login_required", res)
		}
		b.NoSecurityErrors()
	})
}

// TestBrowserEntries: the micro-app home URL inside DingTalk and the admin
// console's backend URL log in at the bridge and hand off to the RP's
// initiate_login_uri, whose authorization request completes at once.
func TestBrowserEntries(t *testing.T) {
	c := newChromium(t)
	e := newEnv(t, options{policy: browserPolicy})

	e.dt.SetClientUser(dingtalktest.DemoCorpID, "alice.wang")
	b := c.NewTab(t, chromiumtest.TabOptions{Mobile: true, UserAgent: androidDingTalkUA})
	b.Navigate(e.issuer + "/dingtalk/start/app1?corpId=" + dingtalktest.DemoCorpID)
	start := readRPResult(t, b, e)
	wantAMR(t, start, resolve.AMRWorkspace)
	if !start.Initiated {
		t.Error("the workspace entry did not hand off through initiate_login_uri")
	}
	b.NoSecurityErrors()

	admin := c.NewTab(t, chromiumtest.TabOptions{})
	code := e.dt.IssueCode(dingtalktest.CodeSSO, "", dingtalktest.DemoCorpID, "alice.wang")
	admin.Navigate(e.issuer + "/dingtalk/admin/app1?code=" + url.QueryEscape(code))
	res := readRPResult(t, admin, e)
	wantAMR(t, res, resolve.AMRAdminConsole)
	if !res.Initiated {
		t.Error("the admin console entry did not hand off through initiate_login_uri")
	}
	if res.Sub != start.Sub {
		t.Errorf("admin console sub = %q, workspace entry %q", res.Sub, start.Sub)
	}
	admin.NoSecurityErrors()
}

// TestBrowserInClientSNS: for a corp configured for in-client website
// login, the DingTalk client goes through sns_authorize, which answers at
// once for its user.
func TestBrowserInClientSNS(t *testing.T) {
	c := newChromium(t)
	corp := corp1()
	corp.InClient = resolve.InClientSNS
	e := newEnv(t, options{corps: []resolve.Corp{corp}, policy: browserPolicy})
	e.dt.SetClientUser(dingtalktest.DemoCorpID, "alice.wang")
	b := c.NewTab(t, chromiumtest.TabOptions{Mobile: true, UserAgent: androidDingTalkUA})
	b.Navigate(e.rp.srv.URL + "/start")
	res := readRPResult(t, b, e)
	wantAMR(t, res, resolve.AMRSNS)
	wantClaims(t, res, "Alice Wang", "alice.wang")
	if n := e.dt.Calls(dingtalktest.EndpointSNSAuthorize); n != 1 {
		t.Errorf("sns_authorize calls = %d, want 1", n)
	}
	b.NoSecurityErrors()
}

// TestBrowserErrorPage: a bad code or a cancel at DingTalk ends on the
// bridge's error page, in the browser's language, with a request ID; its
// "back to the application" link gives the RP access_denied.
func TestBrowserErrorPage(t *testing.T) {
	c := newChromium(t)
	e := newEnv(t, options{policy: browserPolicy})
	back := `p.back a`
	wantDenied := func(t *testing.T, b *chromiumtest.Tab, title string) {
		t.Helper()
		b.WaitForPage(e.issuer + "/login/dingtalk/callback")
		var got string
		b.Run("read the title", chromedp.Title(&got))
		if got != title {
			t.Errorf("error page title = %q, want %q", got, title)
		}
		text := b.Text()
		if !regexp.MustCompile(`请求编号: \S{6,}`).MatchString(text) {
			t.Errorf("error page has no request ID:\n%s", text)
		}
		if lang := b.Attr("html", "lang"); lang != "zh-CN" {
			t.Errorf("error page lang = %q", lang)
		}
		var overflow bool
		b.Run("measure the page", chromedp.Evaluate(
			`document.documentElement.scrollWidth > document.documentElement.clientWidth`, &overflow))
		if overflow {
			t.Error("the error page is wider than the phone's screen")
		}
		b.Click(back)
		if res := readRPResult(t, b, e); res.Error != "access_denied" || res.Sub != "" {
			t.Errorf("RP got %+v, want access_denied", res)
		}
		b.NoSecurityErrors()
	}

	t.Run("wrong kind of code", func(t *testing.T) {
		b := c.NewTab(t, chromiumtest.TabOptions{Language: "zh-CN", Mobile: true})
		b.Navigate(e.rp.srv.URL + "/start")
		b.WaitForPage(e.issuer + "/authorize")
		state := b.Attr("#dt-qr", "data-state")
		// A workspace (JSAPI) code at the OAuth2 callback, with the page's
		// own state: DingTalk answers 40078.
		code := e.dt.IssueCode(dingtalktest.CodeJSAPI, "", dingtalktest.DemoCorpID, "alice.wang")
		b.Navigate(e.issuer + "/login/dingtalk/callback?" + url.Values{"authCode": {code}, "state": {state}}.Encode())
		wantDenied(t, b, "钉钉登录码无效")
	})
	t.Run("cancelled at DingTalk", func(t *testing.T) {
		b := c.NewTab(t, chromiumtest.TabOptions{Language: "zh-CN", Mobile: true})
		b.Navigate(e.rp.srv.URL + "/start")
		b.WaitForPage(e.issuer + "/authorize")
		b.Click(`a.button[href^="` + e.dt.URL + `/oauth2/auth?"]`)
		b.WaitForPage(e.dt.URL + "/oauth2/auth")
		b.Click(`button[name="action"][value="cancel"]`)
		wantDenied(t, b, "已取消登录")
	})
}

// TestBrowserPromptNone: inside DingTalk without a bridge session,
// prompt=none takes the silent workspace round trip and the RP gets a
// code; outside DingTalk it gets login_required without a page.
func TestBrowserPromptNone(t *testing.T) {
	c := newChromium(t)
	e := newEnv(t, options{policy: browserPolicy})
	e.dt.SetClientUser(dingtalktest.DemoCorpID, "alice.wang")

	b := c.NewTab(t, chromiumtest.TabOptions{Mobile: true, UserAgent: androidDingTalkUA})
	b.Navigate(e.rp.srv.URL + "/start?prompt=none")
	res := readRPResult(t, b, e)
	wantAMR(t, res, resolve.AMRWorkspace)
	wantClaims(t, res, "Alice Wang", "alice.wang")
	b.NoSecurityErrors()

	out := c.NewTab(t, chromiumtest.TabOptions{})
	out.Navigate(e.rp.srv.URL + "/start?prompt=none")
	if res := readRPResult(t, out, e); res.Error != "login_required" {
		t.Errorf("outside DingTalk without a session: RP got %+v, want login_required", res)
	}
}

// TestBrowserSeesCSPViolations keeps NoSecurityErrors honest: a page whose
// Content-Security-Policy blocks its own script is reported.
func TestBrowserSeesCSPViolations(t *testing.T) {
	c := newChromium(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>csp</title><p id="p">blocked</p><script>document.title = "ran";</script>`)
	}))
	t.Cleanup(srv.Close)
	b := c.NewTab(t, chromiumtest.TabOptions{})
	b.Navigate(srv.URL + "/")
	b.WaitFor("the page", `document.readyState === "complete"`)
	var title string
	b.Run("read the title", chromedp.Title(&title))
	if title != "csp" {
		t.Errorf("title = %q: the inline script ran despite the policy", title)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(b.SecurityProblems()) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if len(b.SecurityProblems()) == 0 {
		t.Error("the CSP violation was not reported")
	}
}
