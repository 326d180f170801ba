package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
	"github.com/dingbridge/dingbridge/internal/chromiumtest"
)

// TestDevBrowserClickThrough starts "dingbridge dev" as a user would and
// clicks through every flow of its /demo/ page in headless Chromium, each
// in a browser context of its own: QR login with refresh, logout and a
// silent login after it; account and password on DingTalk's sign-in page;
// the workspace page inside DingTalk (the demo's dev cookie, then a real
// DingTalk User-Agent); the admin-console and workspace entries; the
// in-client website login (sns, with the User-Agent, then the dev
// cookie); the mini-program token exchange; then the demo's other links:
// the ISV suite's login, prompt=login with the classic QR page, leaving
// the QR page, the workspace entry in a normal browser, the second corp's
// admin console, leaving the DingTalk pretence, and an inactive person's
// exchange. One person keeps one subject across flows and corps. No page
// may log an error or a Content-Security-Policy violation.
func TestDevBrowserClickThrough(t *testing.T) {
	c := chromiumtest.Start(t, 120*time.Second)
	// As a user would: in an empty working directory, where the SQLite
	// file goes, open the demo URL dev prints.
	dir := t.TempDir()
	t.Chdir(dir)
	issuer, stdout := startDevArgs(t)
	if _, err := os.Stat(filepath.Join(dir, "dingbridge-dev.db")); err != nil {
		t.Errorf("dev's database is not in the working directory: %v", err)
	}
	// The URLs are printed once the bridge serves, just after it listens.
	printed := regexp.MustCompile(`Demo relying party\s+(\S+)`)
	m := printed.FindStringSubmatch(stdout())
	for wait := time.Now().Add(10 * time.Second); m == nil && time.Now().Before(wait); m = printed.FindStringSubmatch(stdout()) {
		time.Sleep(20 * time.Millisecond)
	}
	if m == nil || m[1] != issuer+"/demo/" {
		t.Fatalf("dev printed no demo URL %s/demo/:\n%s", issuer, stdout())
	}
	d := &devDemo{t: t, c: c, url: m[1], issuer: issuer}

	corp1, corp2 := dingtalktest.DemoCorpName, dingtalktest.DemoCorp2Name
	// subs are the subjects 张三 (manager4721, the first corp's
	// administrator and its default DingTalk client user) got, by flow.
	subs := map[string]string{}
	var aliceSub string

	t.Run("QR", func(t *testing.T) {
		b := d.open(t, chromiumtest.TabOptions{})
		b.ClickLink("Log in to " + corp1)
		b.WaitForPage(issuer + "/authorize")
		b.WaitFor("DTFrameLogin's iframe", `!!document.querySelector("#dt-qr iframe")`)
		if src := b.Attr("#dt-qr iframe", "src"); !strings.HasPrefix(src, d.simURL+"/oauth2/auth?") {
			t.Fatalf("the QR frame shows %s, want the simulator's sign-in page", chromiumtest.Redact(src))
		}
		b.ClickInFrame("#dt-qr iframe", simMember(dingtalktest.DemoCorpID, "manager4721"))
		r := d.loggedIn(t, b, "Logged in")
		r.want(t, "张三", dingtalktest.DemoCorpID, "manager4721", "oauth2")
		if !r.hasRefresh {
			t.Error("no refresh token: the demo asks for offline_access")
		}
		subs["QR"] = r.sub

		b.ClickButton("Refresh")
		if again := d.loggedIn(t, b, "Refreshed"); again.sub != r.sub || again.claims["name"] != r.claims["name"] {
			t.Errorf("refreshed ID token: sub %q name %v, want %q %v", again.sub, again.claims["name"], r.sub, r.claims["name"])
		}

		b.ClickLink("Log out")
		b.WaitForPage(d.url)
		var path string
		b.Eval(`location.pathname`, &path)
		if path != "/demo/" {
			t.Fatalf("logging out ended at %s, want the demo page", path)
		}
		if text := b.Text(); strings.Contains(text, "Logged in as") {
			t.Errorf("the demo page still shows a login after logging out:\n%s", text)
		}
		b.ClickLink("Silent login")
		b.WaitForPage(d.url + "callback")
		if text := b.Text(); !strings.Contains(text, "error=login_required") {
			t.Errorf("silent login after logout, want login_required:\n%s", text)
		}
	})

	t.Run("password", func(t *testing.T) {
		b := d.open(t, chromiumtest.TabOptions{})
		b.ClickLink("Log in to " + corp1)
		b.WaitForPage(issuer + "/authorize")
		b.ClickLink("Open DingTalk's sign-in page")
		b.WaitForPage(d.simURL + "/oauth2/auth")
		b.TypeInto(`input[name="account"]`, "alice.wang@yunqiao.example")
		b.TypeInto(`input[name="password"]`, dingtalktest.DemoPassword)
		b.Click(`button[name="action"][value="password"]`)
		r := d.loggedIn(t, b, "Logged in")
		r.want(t, "Alice Wang", dingtalktest.DemoCorpID, "alice.wang", "oauth2")
		if r.get("email") != "alice.wang@yunqiao.example" || r.get("email_verified") != true {
			t.Errorf("email = %v (verified %v), want the org e-mail, verified", r.get("email"), r.get("email_verified"))
		}
		aliceSub = r.sub
	})

	t.Run("pretend to be DingTalk", func(t *testing.T) {
		b := d.open(t, chromiumtest.TabOptions{})
		b.ClickButton("Pretend to be DingTalk")
		b.WaitForPage(d.url)
		if text := b.Text(); !strings.Contains(text, "counts as the DingTalk client") {
			t.Fatalf("the demo page does not say the browser counts as DingTalk:\n%s", text)
		}
		b.ClickLink("Log in inside DingTalk to " + corp1)
		r := d.loggedIn(t, b, "Logged in")
		r.want(t, "张三", dingtalktest.DemoCorpID, "manager4721", "workspace")
		subs["workspace (dev cookie)"] = r.sub
	})

	t.Run("DingTalk User-Agent", func(t *testing.T) {
		b := d.open(t, chromiumtest.TabOptions{UserAgent: androidDingTalkUA, Mobile: true})
		b.ClickLink("Log in inside DingTalk to " + corp1)
		r := d.loggedIn(t, b, "Logged in")
		r.want(t, "张三", dingtalktest.DemoCorpID, "manager4721", "workspace")
		subs["workspace (User-Agent)"] = r.sub
	})

	t.Run("admin console", func(t *testing.T) {
		b := d.open(t, chromiumtest.TabOptions{})
		b.ClickLink("Admin console of " + corp1)
		r := d.loggedIn(t, b, "Logged in")
		r.want(t, "张三", dingtalktest.DemoCorpID, "manager4721", "admin_console")
		if roles, _ := r.get("roles").([]any); !slices.Contains(roles, any("app_admin")) {
			t.Errorf("roles = %v, want app_admin among them", r.get("roles"))
		}
		subs["admin console"] = r.sub
	})

	t.Run("workspace entry", func(t *testing.T) {
		b := d.open(t, chromiumtest.TabOptions{UserAgent: androidDingTalkUA, Mobile: true})
		b.ClickLink("/dingtalk/start/" + demoClientID + "?corpId=")
		r := d.loggedIn(t, b, "Logged in")
		r.want(t, "张三", dingtalktest.DemoCorpID, "manager4721", "workspace")
		subs["workspace entry"] = r.sub
	})

	t.Run("in-client sns", func(t *testing.T) {
		b := d.open(t, chromiumtest.TabOptions{UserAgent: androidDingTalkUA, Mobile: true})
		// Alice of the second corp is logged in to the DingTalk client:
		// chosen on the simulator's console.
		b.ClickLink("console")
		b.WaitForPage(d.simURL + "/__sim/")
		form := fmt.Sprintf(`form:has(input[name="corp_id"][value=%q])`, dingtalktest.DemoCorp2ID)
		b.Run("choose Alice", chromedp.SetValue(form+` select[name="user_id"]`, "0150123456781234", chromedp.ByQuery))
		b.Click(form + ` button[type="submit"]`)
		b.WaitForPage(d.simURL + "/__sim/")
		b.Navigate(d.url)
		b.ClickLink("Log in inside DingTalk to " + corp2)
		r := d.loggedIn(t, b, "Logged in")
		r.want(t, "Alice Wang", dingtalktest.DemoCorp2ID, "0150123456781234", "sns")
		if aliceSub != "" && r.sub != aliceSub {
			t.Errorf("Alice in %s: sub %q; in %s (password): %q", corp2, r.sub, corp1, aliceSub)
		}
	})

	t.Run("in-client sns, pretending", func(t *testing.T) {
		b := d.open(t, chromiumtest.TabOptions{})
		b.ClickButton("Pretend to be DingTalk")
		b.WaitForPage(d.url)
		b.ClickLink("Log in inside DingTalk to " + corp2)
		r := d.loggedIn(t, b, "Logged in")
		r.want(t, "Alice Wang", dingtalktest.DemoCorp2ID, "0150123456781234", "sns")
		if aliceSub != "" && r.sub != aliceSub {
			t.Errorf("Alice in %s: sub %q; in %s (password): %q", corp2, r.sub, corp1, aliceSub)
		}
	})

	t.Run("mini program", func(t *testing.T) {
		b := d.open(t, chromiumtest.TabOptions{})
		b.ClickLink("Exchange a mini program's code for tokens")
		b.WaitForPage(d.url + "mini")
		b.Run("choose 张三", chromedp.SetValue(`select[name="person"]`, dingtalktest.DemoCorpID+":manager4721", chromedp.ByQuery))
		b.ClickButton("Exchange")
		b.WaitForPage(d.url + "mini")
		var status string
		b.Eval(`document.querySelector("h2").innerText`, &status)
		if status != "Token endpoint answered 200 OK" {
			t.Fatalf("mini program: %q\n%s", status, b.Text())
		}
		var resp map[string]any
		d.readJSON(t, b, "#response", &resp)
		for _, k := range []string{"access_token", "id_token", "refresh_token"} {
			if s, _ := resp[k].(string); s == "" {
				t.Errorf("the token exchange answered no %s", k)
			}
		}
		// The mini-program client's ID token carries the subject and
		// the flow; the profile is for userinfo.
		var claims map[string]any
		d.readJSON(t, b, "#claims", &claims)
		if amrs, _ := claims["amr"].([]any); !slices.Contains(amrs, any("mini_program")) {
			t.Errorf("amr = %v, want mini_program among them", claims["amr"])
		}
		if claims["aud"] == nil || !slices.Contains(claims["aud"].([]any), any(demoMiniClientID)) {
			t.Errorf("aud = %v, want %s", claims["aud"], demoMiniClientID)
		}
		subs["mini program"], _ = claims["sub"].(string)
	})

	t.Run("ISV suite", func(t *testing.T) {
		// No corp named: the ISV suite's login, where DingTalk lists the
		// people of every corp that installed it.
		b := d.open(t, chromiumtest.TabOptions{})
		b.ClickLink("Log in")
		b.WaitForPage(issuer + "/authorize")
		b.ClickLink("Open DingTalk's sign-in page")
		b.WaitForPage(d.simURL + "/oauth2/auth")
		b.Click(simMember(dingtalktest.DemoCorpID, "manager4721"))
		r := d.loggedIn(t, b, "Logged in")
		r.want(t, "张三", dingtalktest.DemoCorpID, "manager4721", "oauth2")
		subs["ISV suite"] = r.sub

		// The bridge session serves "Log in again" only after DingTalk.
		b.ClickLink("Back to the demo")
		b.WaitForPage(d.url)
		b.ClickLink("Log in again")
		b.WaitForPage(issuer + "/authorize")
		b.ClickLink("Use the classic QR sign-in")
		b.WaitForPage(d.simURL + "/connect/qrconnect")
		b.Click(simMember(dingtalktest.DemoCorpID, "manager4721"))
		r = d.loggedIn(t, b, "Logged in")
		r.want(t, "张三", dingtalktest.DemoCorpID, "manager4721", "sns")
		subs["classic QR"] = r.sub
	})

	t.Run("back to the application", func(t *testing.T) {
		b := d.open(t, chromiumtest.TabOptions{})
		b.ClickLink("Log in to " + corp1)
		b.WaitForPage(issuer + "/authorize")
		b.ClickLink("Back to the application")
		b.WaitForPage(d.url + "callback")
		if text := b.Text(); !strings.Contains(text, "error=access_denied") {
			t.Errorf("leaving the QR page, want access_denied at the demo:\n%s", text)
		}
	})

	t.Run("workspace entry outside DingTalk", func(t *testing.T) {
		b := d.open(t, chromiumtest.TabOptions{})
		b.ClickLink("/dingtalk/start/" + demoClientID + "?corpId=")
		b.WaitForPage(issuer + "/authorize")
		b.ClickInFrame("#dt-qr iframe", simMember(dingtalktest.DemoCorpID, "manager4721"))
		r := d.loggedIn(t, b, "Logged in")
		r.want(t, "张三", dingtalktest.DemoCorpID, "manager4721", "oauth2")
		subs["workspace entry outside DingTalk"] = r.sub
	})

	t.Run("admin console of the second corp", func(t *testing.T) {
		b := d.open(t, chromiumtest.TabOptions{})
		b.ClickLink("Admin console of " + corp2)
		r := d.loggedIn(t, b, "Logged in")
		r.want(t, "Bob Smith", dingtalktest.DemoCorp2ID, "bob.smith", "admin_console")
	})

	t.Run("back to a normal browser", func(t *testing.T) {
		b := d.open(t, chromiumtest.TabOptions{})
		b.ClickButton("Pretend to be DingTalk")
		b.WaitForPage(d.url)
		b.ClickButton("Back to a normal browser")
		b.WaitForPage(d.url)
		b.ClickLink("Log in inside DingTalk to " + corp1)
		b.WaitForPage(issuer + "/authorize")
		if !b.Has("#dt-qr") {
			t.Error("a normal browser again, want the QR page")
		}
	})

	t.Run("mini program, inactive person", func(t *testing.T) {
		b := d.open(t, chromiumtest.TabOptions{})
		b.ClickLink("Exchange a mini program's code for tokens")
		b.WaitForPage(d.url + "mini")
		b.Run("choose 王五", chromedp.SetValue(`select[name="person"]`, dingtalktest.DemoCorpID+":wangwu", chromedp.ByQuery))
		b.ClickButton("Exchange")
		b.WaitForPage(d.url + "mini")
		var status string
		b.Eval(`document.querySelector("h2").innerText`, &status)
		var resp map[string]any
		d.readJSON(t, b, "#response", &resp)
		if status != "Token endpoint answered 400 Bad Request" || resp["error"] != "invalid_grant" || resp["access_token"] != nil {
			t.Errorf("an inactive person's exchange: %q %v, want 400 invalid_grant", status, resp)
		}
	})

	t.Run("silent login inside DingTalk", func(t *testing.T) {
		// No bridge session yet: prompt=none takes the JSAPI round trip
		// when the corp is named, else it cannot.
		b := d.open(t, chromiumtest.TabOptions{UserAgent: androidDingTalkUA, Mobile: true})
		b.ClickLink("Silent login")
		b.WaitForPage(d.url + "callback")
		if text := b.Text(); !strings.Contains(text, "error=login_required") {
			t.Errorf("silent login inside DingTalk without a corp, want login_required:\n%s", text)
		}
		b.ClickLink("Back to the demo")
		b.WaitForPage(d.url)
		b.ClickLink("Silent login inside DingTalk to " + corp1)
		r := d.loggedIn(t, b, "Logged in")
		r.want(t, "张三", dingtalktest.DemoCorpID, "manager4721", "workspace")
		subs["silent login inside DingTalk"] = r.sub
	})

	t.Run("corp chooser inside DingTalk", func(t *testing.T) {
		// Nothing names a corp and two are possible: the bridge asks.
		b := d.open(t, chromiumtest.TabOptions{UserAgent: androidDingTalkUA, Mobile: true})
		b.ClickLink("Log in")
		b.WaitForPage(issuer + "/authorize")
		b.ClickLink(corp1)
		r := d.loggedIn(t, b, "Logged in")
		r.want(t, "张三", dingtalktest.DemoCorpID, "manager4721", "workspace")
	})

	// One person, one subject, whichever way they came in.
	if subs["QR"] == "" {
		t.Fatal("the QR login gave no subject to compare")
	}
	for flow, sub := range subs {
		if sub != subs["QR"] {
			t.Errorf("张三's sub through %s = %q, through QR %q", flow, sub, subs["QR"])
		}
	}
	if len(subs) != 10 {
		t.Errorf("compared the subjects of %d flows, want 10: %v", len(subs), subs)
	}
}

// androidDingTalkUA is the DingTalk Android client's in-app webview
// (reference §6).
const androidDingTalkUA = "Mozilla/5.0 (Linux; U; Android 10; zh-CN; V1981A Build/QP1A.190711.020) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/69.0.3497.100 UWS/3.22.0.36 Mobile Safari/537.36 AliApp(DingTalk/6.0.0) com.alibaba.android.rimet/13534898 Channel/212200 language/zh-CN UT4Aplus/0.2.25"

// simMember is the button of a person on the simulator's sign-in page.
func simMember(corpID, userID string) string {
	return `button.user[value="` + corpID + `:` + userID + `"]`
}

// devDemo is the running "dingbridge dev" seen from the browser.
type devDemo struct {
	t              *testing.T
	c              *chromiumtest.Browser
	url            string // the demo relying party, …/demo/
	issuer, simURL string // simURL is read from the demo page
}

// open opens the demo page in a new tab and learns the simulator's URL
// from its console link. When t ends, any error or CSP violation a page
// of the tab logged fails it.
func (d *devDemo) open(t *testing.T, o chromiumtest.TabOptions) *chromiumtest.Tab {
	t.Helper()
	b := d.c.NewTab(t, o)
	t.Cleanup(b.NoProblems)
	b.Navigate(d.url)
	b.WaitForPage(d.url)
	console := strings.TrimSuffix(b.Attr(`a[href$="/__sim/"]`, "href"), "/__sim/")
	if d.simURL == "" {
		d.simURL = console
	} else if console != d.simURL {
		t.Fatalf("the demo page's simulator moved from %s to %s", d.simURL, console)
	}
	return b
}

// demoLogin is what the demo's callback page shows.
type demoLogin struct {
	sub              string
	claims, userinfo map[string]any
	hasRefresh       bool
}

// get is a claim of the ID token, else of userinfo.
func (r demoLogin) get(name string) any {
	if v, ok := r.claims[name]; ok {
		return v
	}
	return r.userinfo[name]
}

// want checks the person and the flow (amr) of a login.
func (r demoLogin) want(t *testing.T, name, corpID, userID, amr string) {
	t.Helper()
	if r.sub == "" {
		t.Error("no sub")
	}
	if r.get("name") != name {
		t.Errorf("name = %v, want %s", r.get("name"), name)
	}
	dt, _ := r.get("dingtalk").(map[string]any)
	if dt["corp_id"] != corpID || dt["user_id"] != userID {
		t.Errorf("dingtalk claim = %v, want corp %s user %s", dt, corpID, userID)
	}
	if amrs, _ := r.claims["amr"].([]any); !slices.Contains(amrs, any(amr)) {
		t.Errorf("amr = %v, want %s among them", r.claims["amr"], amr)
	}
}

// loggedIn waits for the demo's callback (or refresh) page titled h1 and
// reads the verified ID token claims and userinfo it shows.
func (d *devDemo) loggedIn(t *testing.T, b *chromiumtest.Tab, h1 string) demoLogin {
	t.Helper()
	q, _ := json.Marshal(h1)
	// The page asked for, or an error page of the demo or the bridge.
	b.WaitForWithin("the demo's "+h1+" page", fmt.Sprintf(
		`document.readyState === "complete" && %s && !!document.querySelector("h1") &&
		 (document.querySelector("h1").innerText === %s || !!document.querySelector("p.bad, p.detail"))`, chromiumtest.NewPage, q), 20*time.Second)
	var got string
	b.Eval(`document.querySelector("h1").innerText`, &got)
	if got != h1 {
		t.Fatalf("the demo shows %q, want %s:\n%s", got, q, b.Text())
	}
	var r demoLogin
	d.readJSON(t, b, "#claims", &r.claims)
	d.readJSON(t, b, "#userinfo", &r.userinfo)
	r.sub, _ = r.claims["sub"].(string)
	if r.userinfo["sub"] != r.sub {
		t.Errorf("userinfo sub = %v, ID token sub = %q", r.userinfo["sub"], r.sub)
	}
	r.hasRefresh = strings.Contains(b.Text(), "A refresh token was issued")
	return r
}

// readJSON decodes the JSON an element of the page shows.
func (d *devDemo) readJSON(t *testing.T, b *chromiumtest.Tab, sel string, v any) {
	t.Helper()
	var raw string
	q, _ := json.Marshal(sel)
	b.Eval(fmt.Sprintf(`(document.querySelector(%s) || {innerText: ""}).innerText`, q), &raw)
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		t.Fatalf("%s shows no JSON (%v):\n%s", sel, err, chromiumtest.Redact(raw))
	}
}
