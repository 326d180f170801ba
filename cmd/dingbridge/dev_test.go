package main

import (
	"context"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
	"github.com/dingbridge/dingbridge/internal/syncbuf"
)

// startDev runs "dingbridge dev" on loopback ports with its database in a
// temporary directory, logging warnings only, and returns the issuer
// (http://localhost:port) and what it printed so far.
func startDev(t *testing.T) (string, func() string) {
	t.Helper()
	db := filepath.Join(t.TempDir(), "dev.db")
	return startDevArgs(t, "--db", db, "--log-level", "warn")
}

// startDevArgs runs "dingbridge dev" on loopback ports with more flags.
func startDevArgs(t *testing.T, flags ...string) (string, func() string) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	addrs := make(chan net.Addr, 1)
	var stdout, stderr syncbuf.Buffer
	a := &app{stdout: &stdout, stderr: &stderr, getenv: envMap(nil), onListen: func(addr net.Addr) { addrs <- addr }}
	done := make(chan int, 1)
	args := append([]string{"dev", "--listen", "127.0.0.1:0", "--simulator-listen", "127.0.0.1:0"}, flags...)
	go func() {
		done <- a.run(ctx, args)
	}()
	wait := sync.OnceValue(func() int { return <-done })
	t.Cleanup(func() {
		cancel()
		if code := wait(); code != exitOK {
			t.Errorf("dev exited with %d:\n%s", code, stderr.String())
		}
		if t.Failed() {
			t.Logf("dev stderr:\n%s", stderr.String())
		}
	})
	select {
	case addr := <-addrs:
		_, port, _ := net.SplitHostPort(addr.String())
		return "http://localhost:" + port, stdout.String
	case code := <-done:
		cancel()
		t.Fatalf("dev exited with %d before listening:\n%s", code, stderr.String())
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatalf("dev did not start listening:\n%s", stderr.String())
	}
	return "", nil
}

// webPage is where a devBrowser ended.
type webPage struct {
	status int
	url    *url.URL
	header http.Header
	body   string
}

// devBrowser is an HTTP client with a cookie jar that follows redirects.
type devBrowser struct {
	t  *testing.T
	c  *http.Client
	ua string
}

func newDevBrowser(t *testing.T) *devBrowser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &devBrowser{t: t, c: &http.Client{Jar: jar}}
}

func (b *devBrowser) do(method, u string, form url.Values) webPage {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(b.t.Context(), method, u, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept-Language", "en")
	if b.ua != "" {
		req.Header.Set("User-Agent", b.ua)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return webPage{status: resp.StatusCode, url: resp.Request.URL, header: resp.Header, body: string(data)}
}

func (b *devBrowser) get(u string) webPage { return b.do(http.MethodGet, u, nil) }

func (b *devBrowser) post(u string, form url.Values) webPage { return b.do(http.MethodPost, u, form) }

var (
	linkRE   = regexp.MustCompile(`<a[^>]*href="([^"]*)"[^>]*>([^<]*)</a>`)
	formRE   = regexp.MustCompile(`(?s)<form[^>]* method="post" action="([^"]*)"[^>]*>(.*?)</form>`)
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

// link returns the absolute URL of the first link whose text contains
// text.
func (p webPage) link(t *testing.T, text string) string {
	t.Helper()
	for _, m := range linkRE.FindAllStringSubmatch(p.body, -1) {
		if strings.Contains(html.UnescapeString(m[2]), text) {
			u, err := p.url.Parse(html.UnescapeString(m[1]))
			if err != nil {
				t.Fatal(err)
			}
			return u.String()
		}
	}
	t.Fatalf("page %s has no link %q:\n%s", p.url, text, p.body)
	return ""
}

// form returns the absolute action and hidden fields of the first POST
// form.
func (p webPage) form(t *testing.T) (string, url.Values) {
	t.Helper()
	m := formRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("page %s has no form:\n%s", p.url, p.body)
	}
	u, err := p.url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	fields := url.Values{}
	for _, h := range hiddenRE.FindAllStringSubmatch(m[2], -1) {
		fields.Set(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
	}
	return u.String(), fields
}

// wantLoggedIn checks that the browser ended on the demo's callback page
// showing the verified claims and userinfo of name.
func wantLoggedIn(t *testing.T, p webPage, name string, more ...string) {
	t.Helper()
	if p.status != http.StatusOK || p.url.Path != "/demo/callback" {
		t.Fatalf("ended at %s with %d, want /demo/callback:\n%s", p.url, p.status, p.body)
	}
	for _, want := range append([]string{"<h1>Logged in</h1>", `<pre id="claims">`, `&#34;sub&#34;`, `<pre id="userinfo">`, name}, more...) {
		if !strings.Contains(p.body, want) {
			t.Errorf("callback page lacks %q:\n%s", want, p.body)
		}
	}
}

func TestDevQRFlowAndRefresh(t *testing.T) {
	issuer, stdout := startDev(t)
	checkServing(t, issuer, issuer, "")
	// The URLs are printed once the server accepts requests, which may be
	// a moment after the first request was answered.
	wants := []string{issuer + "/demo/", "/__sim/", issuer + "/demo/admin?corpId=", "client_secret " + demoClientSecret}
	printed := func() bool {
		for _, want := range wants {
			if !strings.Contains(stdout(), want) {
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(10 * time.Second); !printed() && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	for _, want := range wants {
		if !strings.Contains(stdout(), want) {
			t.Errorf("dev output lacks %q:\n%s", want, stdout())
		}
	}

	b := newDevBrowser(t)
	index := b.get(issuer + "/demo/")
	if index.status != http.StatusOK || !strings.Contains(index.header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("/demo/: %d, CSP %q", index.status, index.header.Get("Content-Security-Policy"))
	}
	if css := b.get(issuer + "/demo/demo.css"); css.status != http.StatusOK || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") {
		t.Errorf("demo.css: %d %s", css.status, css.header.Get("Content-Type"))
	}

	// The QR page of the bridge, then DingTalk's (the simulator's) sign-in
	// page, where a person is picked as in a browser.
	qr := b.get(index.link(t, "Log in"))
	if qr.status != http.StatusOK || qr.url.Path != "/authorize" || !strings.Contains(qr.body, `id="dt-qr"`) {
		t.Fatalf("want the bridge's QR page, got %d at %s:\n%s", qr.status, qr.url, qr.body)
	}
	dt := b.get(qr.link(t, "DingTalk's sign-in page"))
	action, form := dt.form(t)
	if dt.status != http.StatusOK || !strings.Contains(dt.body, "alice.wang") {
		t.Fatalf("simulator sign-in page: %d\n%s", dt.status, dt.body)
	}
	form.Set("user", dingtalktest.DemoCorpID+":alice.wang")
	cb := b.post(action, form)
	wantLoggedIn(t, cb, "Alice Wang", "后端组", `&#34;alg&#34;`, "A refresh token was issued")

	refreshed := b.post(issuer+"/demo/refresh", url.Values{})
	if refreshed.status != http.StatusOK || !strings.Contains(refreshed.body, "<h1>Refreshed</h1>") || !strings.Contains(refreshed.body, "Alice Wang") {
		t.Errorf("refresh: %d\n%s", refreshed.status, refreshed.body)
	}

	// A second login of the same browser completes without DingTalk
	// (bridge session), and logging out ends at the demo page.
	again := b.get(issuer + "/demo/start?prompt=none")
	wantLoggedIn(t, again, "Alice Wang")
	out := b.get(issuer + "/demo/logout")
	if out.status != http.StatusOK || out.url.Path != "/demo/" || strings.Contains(out.body, "Logged in as") {
		t.Errorf("logout ended at %s with %d:\n%s", out.url, out.status, out.body)
	}
	silent := b.get(issuer + "/demo/start?prompt=none")
	if !strings.Contains(silent.body, "login_required") {
		t.Errorf("prompt=none after logout: %d at %s\n%s", silent.status, silent.url, silent.body)
	}

	// Naming the corp logs in through its internal app, which reads the
	// org e-mail.
	qr = b.get(b.get(issuer+"/demo/").link(t, "Log in to "+dingtalktest.DemoCorpName))
	dt = b.get(qr.link(t, "DingTalk's sign-in page"))
	action, form = dt.form(t)
	form.Set("user", dingtalktest.DemoCorpID+":alice.wang")
	wantLoggedIn(t, b.post(action, form), "Alice Wang", "alice.wang@yunqiao.example")
}

func TestDevAdminConsoleAndWorkspace(t *testing.T) {
	issuer, _ := startDev(t)

	b := newDevBrowser(t)
	admin := b.get(issuer + "/demo/admin?corpId=" + dingtalktest.DemoCorpID)
	wantLoggedIn(t, admin, "张三", "app_admin", "admin_console")

	// Inside DingTalk (the dev cookie): the workspace page of the first
	// corp; its form posts the JSAPI code the dd shim would get.
	w := newDevBrowser(t)
	if p := w.post(issuer+"/demo/dev-client", url.Values{"on": {"1"}}); !strings.Contains(p.body, "counts as the DingTalk client") {
		t.Fatalf("dev cookie not set:\n%s", p.body)
	}
	ws := w.get(issuer + "/demo/start?corp_id=" + dingtalktest.DemoCorpID)
	if ws.status != http.StatusOK || !strings.Contains(ws.body, `id="dd-login"`) {
		t.Fatalf("want the workspace page, got %d at %s:\n%s", ws.status, ws.url, ws.body)
	}
	if !strings.Contains(ws.body, "/dingding/dingtalk-jsapi/3.1.0/dingtalk.open.js") {
		t.Error("workspace page does not load the simulator's JSAPI script")
	}
	action, form := ws.form(t)
	code := mintJSAPICode(t, ws, dingtalktest.DemoCorpID)
	form.Set("code", code)
	wantLoggedIn(t, w.post(action, form), "张三", "workspace")

	// The workspace entry (a micro app's home page) inside DingTalk: the
	// silent JSAPI page, then the hand-off through initiate_login_uri.
	e := newDevBrowser(t)
	e.ua = dingTalkUA
	entry := e.get(e.get(issuer+"/demo/").link(t, "/dingtalk/start/demo?corpId="))
	action, form = entry.form(t)
	form.Set("code", mintJSAPICode(t, entry, dingtalktest.DemoCorpID))
	wantLoggedIn(t, e.post(action, form), "张三", "workspace")
}

// mintJSAPICode asks the simulator's dd shim endpoint for a code, as the
// workspace page's script does inside DingTalk.
func mintJSAPICode(t *testing.T, ws webPage, corpID string) string {
	t.Helper()
	m := regexp.MustCompile(`<script src="([^"]*)/dingding/dingtalk-jsapi`).FindStringSubmatch(ws.body)
	if m == nil {
		t.Fatalf("no JSAPI script in the workspace page:\n%s", ws.body)
	}
	resp, err := http.Post(m[1]+"/__sim/jsapi/authcode", "application/json", strings.NewReader(`{"corpId":"`+corpID+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	c := regexp.MustCompile(`"code"\s*:\s*"([^"]+)"`).FindStringSubmatch(string(body))
	if resp.StatusCode != http.StatusOK || c == nil {
		t.Fatalf("dd shim code: %d %s", resp.StatusCode, body)
	}
	return c[1]
}

func TestDevMiniProgram(t *testing.T) {
	issuer, _ := startDev(t)
	b := newDevBrowser(t)
	form := b.get(issuer + "/demo/mini")
	if form.status != http.StatusOK || !strings.Contains(form.body, "Bob Smith") {
		t.Fatalf("mini form: %d\n%s", form.status, form.body)
	}
	res := b.post(issuer+"/demo/mini", url.Values{"person": {dingtalktest.DemoCorp2ID + ":bob.smith"}})
	for _, want := range []string{"200 OK", "access_token", "refresh_token", `<pre id="claims">`, "Bob Smith", "mini_program"} {
		if !strings.Contains(res.body, want) {
			t.Errorf("mini exchange page lacks %q:\n%s", want, res.body)
		}
	}
}

func TestDevInitiateLoginChecksIssuer(t *testing.T) {
	issuer, _ := startDev(t)
	b := newDevBrowser(t)
	if p := b.get(issuer + "/demo/login?iss=https://evil.example.com"); p.status != http.StatusBadRequest {
		t.Errorf("foreign iss: %d", p.status)
	}
	if p := b.get(issuer + "/demo/callback?state=forged&code=x"); p.status != http.StatusBadRequest || !strings.Contains(p.body, "Unknown state") {
		t.Errorf("forged state: %d\n%s", p.status, p.body)
	}
}

// dingTalkUA is a DingTalk mobile client's User-Agent.
const dingTalkUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 AliApp(DingTalk/7.6.0) com.laiwang.DingTalk/1 Channel/201200 language/zh-Hans-CN"

func TestDevInClientSNS(t *testing.T) {
	issuer, _ := startDev(t)
	b := newDevBrowser(t)
	b.ua = dingTalkUA
	// The second demo corp logs in inside DingTalk through sns_authorize,
	// which DingTalk answers at once for the person logged in to the
	// client: chosen on the simulator's console.
	index := b.get(issuer + "/demo/")
	console := b.get(index.link(t, "console"))
	if p := b.post(console.url.String()+"client-user", url.Values{"corp_id": {dingtalktest.DemoCorp2ID}, "user_id": {"bob.smith"}}); p.status != http.StatusOK {
		t.Fatalf("simulator console: %d\n%s", p.status, p.body)
	}
	p := b.get(index.link(t, "Log in inside DingTalk to "+dingtalktest.DemoCorp2Name))
	wantLoggedIn(t, p, "Bob Smith", "sns", "Sales")
}

// TestDevPretendCountsAtTheSimulator: the demo's "Pretend to be DingTalk"
// cookie makes the browser the DingTalk client for the simulator too, as
// DingTalk's User-Agent does, so the dd shim the workspace page loads
// answers with a code.
func TestDevPretendCountsAtTheSimulator(t *testing.T) {
	issuer, _ := startDev(t)
	shimConfig := func(b *devBrowser) string {
		t.Helper()
		ws := b.get(issuer + "/demo/start?corp_id=" + dingtalktest.DemoCorpID)
		m := regexp.MustCompile(`<script src="([^"]*/dingding/dingtalk-jsapi/[^"]*)"`).FindStringSubmatch(ws.body)
		if m == nil {
			t.Fatalf("no JSAPI script on %s:\n%s", ws.url, ws.body)
		}
		script := b.get(html.UnescapeString(m[1]))
		c := regexp.MustCompile(`var sim = (\{[^\n]*\}) \|\|`).FindStringSubmatch(script.body)
		if c == nil {
			t.Fatalf("the shim carries no configuration:\n%s", script.body)
		}
		return c[1]
	}

	b := newDevBrowser(t)
	b.post(issuer+"/demo/dev-client", url.Values{"on": {"1"}})
	if got := shimConfig(b); !strings.Contains(got, `"client":true`) {
		t.Errorf("with the dev cookie the shim's configuration is %s, want client true", got)
	}
	b.ua = dingTalkUA
	b.post(issuer+"/demo/dev-client", url.Values{"on": {"0"}})
	if got := shimConfig(b); !strings.Contains(got, `"client":true`) {
		t.Errorf("with DingTalk's User-Agent the shim's configuration is %s, want client true", got)
	}
}
