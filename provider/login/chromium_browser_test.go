package login_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// The browser tests drive a real Chromium over the DevTools protocol. They
// run when DINGBRIDGE_CHROMIUM names the binary (CI sets it) and skip
// otherwise, unless CI is set: then a missing Chromium fails.

// browserTestTimeout bounds each browser test, Chromium's start included.
const browserTestTimeout = 60 * time.Second

// chromium is one headless Chromium process owned by one test.
type chromium struct {
	t        *testing.T
	ctx      context.Context // the browser's chromedp context, not bound to t.Context
	deadline time.Time
	ua       string // the browser's own User-Agent
}

// newChromium starts Chromium for t with a fresh profile; it is closed
// when t ends.
func newChromium(t *testing.T) *chromium {
	t.Helper()
	bin := os.Getenv("DINGBRIDGE_CHROMIUM")
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("DINGBRIDGE_CHROMIUM is not set; CI needs Chromium for the browser tests")
		}
		t.Skip("DINGBRIDGE_CHROMIUM not set")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("DINGBRIDGE_CHROMIUM: %v", err)
	}
	profile := t.TempDir() // removed after the browser has stopped (cleanups run last-in first-out)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(profile),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.WindowSize(1024, 900),
	)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		// Close the browser gracefully so that it has stopped writing to
		// the profile before the profile is removed.
		closing, stop := context.WithTimeout(ctx, 10*time.Second)
		defer stop()
		if err := chromedp.Cancel(closing); err != nil {
			t.Logf("close chromium: %v", err)
		}
		cancel()
		cancelAlloc()
	})
	c := &chromium{t: t, ctx: ctx, deadline: time.Now().Add(browserTestTimeout)}
	start, stop := context.WithDeadline(ctx, c.deadline)
	defer stop()
	// The first Run starts the browser; it lives as long as ctx.
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	var product, revision, jsVersion string
	err := chromedp.Run(start, chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		_, product, revision, c.ua, jsVersion, err = cdpbrowser.GetVersion().Do(ctx)
		return err
	}))
	if err != nil {
		t.Fatalf("chromium version: %v", err)
	}
	t.Logf("%s (revision %s, V8 %s)", product, revision, jsVersion)
	return c
}

// tabOptions shape a tab.
type tabOptions struct {
	// UserAgent replaces the browser's own when set.
	UserAgent string
	// Language is the Accept-Language (and navigator.language); "en"
	// when empty.
	Language string
	// Mobile emulates a phone's screen (390×844 CSS pixels, touch).
	Mobile bool
}

// tab is one page in its own browser context: cookies, storage and
// cache are not shared with any other tab.
type tab struct {
	t   *testing.T
	ctx context.Context // carries the test's deadline

	mu       sync.Mutex
	console  []string // console messages and browser log entries, redacted
	security []string // the subset Chromium logged as security problems (CSP)
}

// newTab opens a tab for t (the test or one of its subtests) in a new
// browser context. A new browser context has no window to hold a tab, so
// the tab gets a window of its own.
func (c *chromium) newTab(t *testing.T, o tabOptions) *tab {
	t.Helper()
	if o.UserAgent == "" {
		o.UserAgent = c.ua
	}
	if o.Language == "" {
		o.Language = "en"
	}
	var id target.ID
	var browserContext cdp.BrowserContextID
	open, stop := context.WithDeadline(c.ctx, c.deadline)
	defer stop()
	err := chromedp.Run(open, chromedp.ActionFunc(func(ctx context.Context) error {
		bx := cdp.WithExecutor(ctx, chromedp.FromContext(ctx).Browser)
		var err error
		if browserContext, err = target.CreateBrowserContext().WithDisposeOnDetach(true).Do(bx); err != nil {
			return fmt.Errorf("create browser context: %w", err)
		}
		id, err = target.CreateTarget("about:blank").WithBrowserContextID(browserContext).WithNewWindow(true).Do(bx)
		return err
	}))
	if err != nil {
		t.Fatalf("open tab: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
		defer cancel()
		_ = chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
			return target.DisposeBrowserContext(browserContext).Do(cdp.WithExecutor(ctx, chromedp.FromContext(ctx).Browser))
		}))
	})
	tabCtx, cancel := chromedp.NewContext(c.ctx, chromedp.WithTargetID(id))
	t.Cleanup(cancel)
	b := &tab{t: t}
	chromedp.ListenTarget(tabCtx, b.observe)
	// The first Run attaches to the target and must use tabCtx itself.
	setup := chromedp.Tasks{emulation.SetUserAgentOverride(o.UserAgent).WithAcceptLanguage(o.Language)}
	if o.Mobile {
		setup = append(setup, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile))
	}
	if err := chromedp.Run(tabCtx, setup); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	ctx, stop := context.WithDeadline(tabCtx, c.deadline)
	t.Cleanup(stop)
	b.ctx = ctx
	// Registered after cancel, so it runs while the tab is still open.
	t.Cleanup(func() {
		if t.Failed() {
			b.dump(tabCtx)
		}
	})
	return b
}

// observe records what the page tells the console and what Chromium logs
// about it (CSP violations are logged with source "security").
func (b *tab) observe(ev any) {
	var line string
	security := false
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var args []string
		for _, a := range ev.Args {
			if a.Value != nil {
				args = append(args, string(a.Value))
			} else {
				args = append(args, a.Description)
			}
		}
		line = fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " "))
	case *runtime.EventExceptionThrown:
		line = "exception: " + ev.ExceptionDetails.Text
		if ev.ExceptionDetails.Exception != nil {
			line += " " + ev.ExceptionDetails.Exception.Description
		}
	case *log.EventEntryAdded:
		line = fmt.Sprintf("log %s/%s: %s %s", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text, ev.Entry.URL)
		security = ev.Entry.Source == log.SourceSecurity ||
			strings.Contains(ev.Entry.Text, "Content Security Policy")
	default:
		return
	}
	line = redact(line)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.console = append(b.console, line)
	if security {
		b.security = append(b.security, line)
	}
}

// secretParam matches the values of query parameters that carry a code,
// a token or a state.
var secretParam = regexp.MustCompile(`(?i)\b(code|authCode|auth_code|state|id_token|access_token|refresh_token|tmp_auth_code)=[^&\s"'#]*`)

// redact removes codes, tokens and states from a URL or a log line.
func redact(s string) string {
	return secretParam.ReplaceAllString(s, "$1=[redacted]")
}

// dump logs where the tab is and what it shows: never a cookie or a code.
func (b *tab) dump(tabCtx context.Context) {
	ctx, cancel := context.WithTimeout(tabCtx, 5*time.Second)
	defer cancel()
	var loc, text string
	if err := chromedp.Run(ctx, chromedp.Location(&loc),
		chromedp.Evaluate(`document.body ? document.body.innerText : ""`, &text)); err != nil {
		b.t.Logf("browser state unavailable: %v", err)
	}
	if r := []rune(text); len(r) > 4000 {
		text = string(r[:4000]) + "…"
	}
	b.mu.Lock()
	console := strings.Join(b.console, "\n")
	b.mu.Unlock()
	b.t.Logf("browser at %s\npage text:\n%s\nconsole:\n%s", redact(loc), redact(text), console)
}

// run runs actions, failing the test on error.
func (b *tab) run(what string, actions ...chromedp.Action) {
	b.t.Helper()
	if err := chromedp.Run(b.ctx, actions...); err != nil {
		b.t.Fatalf("browser: %s: %v", what, err)
	}
}

// navigate opens u as if typed into the address bar.
func (b *tab) navigate(u string) {
	b.t.Helper()
	b.run("open "+redact(u), chromedp.Navigate(u))
}

// waitFor waits until the JavaScript expression cond is true in the
// current page. Navigations come and go meanwhile, so an evaluation that
// fails is retried.
func (b *tab) waitFor(what, cond string) {
	b.t.Helper()
	for {
		var ok bool
		step, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		err := chromedp.Run(step, chromedp.Evaluate(cond, &ok))
		cancel()
		if err == nil && ok {
			return
		}
		if b.ctx.Err() != nil {
			b.t.Fatalf("browser: waiting for %s: %v", what, errors.Join(b.ctx.Err(), err))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitForPage waits until a page whose URL starts with prefix (origin
// and path) has loaded.
func (b *tab) waitForPage(prefix string) {
	b.t.Helper()
	q, _ := json.Marshal(prefix)
	b.waitFor("a page at "+prefix, fmt.Sprintf(
		`(location.origin + location.pathname).indexOf(%s) === 0 && document.readyState === "complete"`, q))
}

// text is the page's visible text.
func (b *tab) text() string {
	b.t.Helper()
	var s string
	b.run("read the page", chromedp.Evaluate(`document.body ? document.body.innerText : ""`, &s))
	return s
}

// attr reads an attribute of the element sel.
func (b *tab) attr(sel, name string) string {
	b.t.Helper()
	var v string
	var ok bool
	b.run("read "+sel+" "+name, chromedp.AttributeValue(sel, name, &v, &ok, chromedp.ByQuery))
	if !ok {
		b.t.Fatalf("%s has no attribute %s", sel, name)
	}
	return v
}

// click clicks the element sel with the mouse once it is visible.
func (b *tab) click(sel string) {
	b.t.Helper()
	b.run("click "+sel, chromedp.WaitVisible(sel, chromedp.ByQuery), chromedp.Click(sel, chromedp.ByQuery))
}

// clickInFrame clicks the element sel inside the document of the iframe
// frameSel once it has loaded there.
func (b *tab) clickInFrame(frameSel, sel string) {
	b.t.Helper()
	for {
		var frames []*cdp.Node
		step, cancel := context.WithTimeout(b.ctx, 3*time.Second)
		err := chromedp.Run(step, chromedp.Nodes(frameSel, &frames, chromedp.ByQuery))
		switch {
		case err != nil:
		case len(frames) == 0:
			err = errors.New("no frame")
		case frames[0].ContentDocument == nil:
			// Not loaded yet, or out of process (site isolation), where
			// the frame's own target would have to be driven.
			err = errors.New("the frame shows no document")
		default:
			// The frame's first document may be replaced by the login
			// page; look again when it does not show sel soon.
			err = chromedp.Run(step, chromedp.WaitVisible(sel, chromedp.ByQuery, chromedp.FromNode(frames[0])))
			if err == nil {
				cancel()
				b.run("click "+sel+" in "+frameSel, chromedp.Click(sel, chromedp.ByQuery, chromedp.FromNode(frames[0])))
				return
			}
		}
		cancel()
		if b.ctx.Err() != nil {
			b.t.Fatalf("browser: waiting for %s in %s: %v", sel, frameSel, errors.Join(b.ctx.Err(), err))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// typeInto types s into the input sel, key by key.
func (b *tab) typeInto(sel, s string) {
	b.t.Helper()
	b.run("type into "+sel, chromedp.WaitVisible(sel, chromedp.ByQuery), chromedp.SendKeys(sel, s, chromedp.ByQuery))
}

// rpResult waits for the relying party's callback and decodes what it
// shows: the verified ID token's subject and claims, or the error.
func (b *tab) rpResult(e *env) rpResult {
	b.t.Helper()
	b.waitForPage(e.rp.srv.URL + "/cb")
	var raw string
	b.run("read the RP's answer", chromedp.Evaluate(
		`(document.querySelector("body > pre") || document.body).innerText`, &raw))
	var r rpResult
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		b.t.Fatalf("the RP's callback shows no result (%v):\n%s", err, raw)
	}
	return r
}

// securityProblems are the security problems Chromium logged so far.
func (b *tab) securityProblems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.security...)
}

// noSecurityErrors fails the test when Chromium logged a security problem
// (a Content-Security-Policy violation) for any page of the tab.
func (b *tab) noSecurityErrors() {
	b.t.Helper()
	for _, s := range b.securityProblems() {
		b.t.Errorf("Chromium logged a security problem: %s", s)
	}
}
