package main

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

// The browser tests drive a real headless Chromium over the DevTools
// protocol. They run when DINGBRIDGE_CHROMIUM names the binary (CI sets
// it) and skip otherwise, unless CI is set: then a missing Chromium fails.

// chromium is one headless Chromium process owned by one test.
type chromium struct {
	t        *testing.T
	ctx      context.Context // the browser's chromedp context, not bound to t.Context
	deadline time.Time
	ua       string // the browser's own User-Agent
}

// newChromium starts Chromium for t with a fresh profile; every action in
// it must finish within timeout, Chromium's start included. The browser is
// closed when t ends.
func newChromium(t *testing.T, timeout time.Duration) *chromium {
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
	c := &chromium{t: t, ctx: ctx, deadline: time.Now().Add(timeout)}
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
	// Mobile emulates a phone's screen (390×844 CSS pixels, touch).
	Mobile bool
}

// tab is one page in its own browser context: cookies, storage and
// cache are not shared with any other tab.
type tab struct {
	t       *testing.T
	ctx     context.Context // carries the browser's deadline
	browser *chromium
	context cdp.BrowserContextID

	// mu guards console, problems and frames.
	mu       sync.Mutex
	frames   map[target.ID]context.Context // attached out-of-process frames
	console  []string                      // console messages and browser log entries, redacted
	problems []string                      // the subset that are errors or security (CSP) reports
}

// newTab opens a tab for t (the test or one of its subtests) in a new
// browser context, with Accept-Language en. A new browser context has no
// window to hold a tab, so the tab gets a window of its own.
func (c *chromium) newTab(t *testing.T, o tabOptions) *tab {
	t.Helper()
	if o.UserAgent == "" {
		o.UserAgent = c.ua
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
	b := &tab{t: t, browser: c, context: browserContext}
	chromedp.ListenTarget(tabCtx, b.observe)
	// The first Run attaches to the target and must use tabCtx itself.
	setup := chromedp.Tasks{emulation.SetUserAgentOverride(o.UserAgent).WithAcceptLanguage("en")}
	if o.Mobile {
		setup = append(setup, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile))
	}
	if err := chromedp.Run(tabCtx, setup); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	ctx, stopTab := context.WithDeadline(tabCtx, c.deadline)
	t.Cleanup(stopTab)
	b.ctx = ctx
	// Registered after cancel, so it runs while the tab is still open.
	t.Cleanup(func() {
		if t.Failed() {
			b.dump(tabCtx)
		}
	})
	return b
}

// observe records what the pages tell the console and what Chromium logs
// about them. Errors, uncaught exceptions and security reports (CSP
// violations are logged with source "security") are problems.
func (b *tab) observe(ev any) {
	var line string
	problem := false
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
		problem = ev.Type == runtime.APITypeError || ev.Type == runtime.APITypeAssert
	case *runtime.EventExceptionThrown:
		line = "exception: " + ev.ExceptionDetails.Text
		if ev.ExceptionDetails.Exception != nil {
			line += " " + ev.ExceptionDetails.Exception.Description
		}
		problem = true
	case *log.EventEntryAdded:
		line = fmt.Sprintf("log %s/%s: %s %s", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text, ev.Entry.URL)
		// Chromium asks every origin for /favicon.ico on its own; none
		// of the servers has one, and no page refers to it.
		favicon := ev.Entry.Source == log.SourceNetwork && strings.HasSuffix(ev.Entry.URL, "/favicon.ico")
		problem = (ev.Entry.Level == log.LevelError && !favicon) || ev.Entry.Source == log.SourceSecurity ||
			strings.Contains(ev.Entry.Text, "Content Security Policy")
	default:
		return
	}
	line = redact(line)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.console = append(b.console, line)
	if problem {
		b.problems = append(b.problems, line)
	}
}

// secretParam matches the values of query parameters and form fields
// that carry a code, a token or a state.
var secretParam = regexp.MustCompile(`(?i)\b(code|authCode|auth_code|state|id_token|id_token_hint|access_token|refresh_token|tmp_auth_code)=[^&\s"'#]*`)

// secretField matches the values of JSON members that carry a token, as
// the mini-program page shows them.
var secretField = regexp.MustCompile(`"(id_token|access_token|refresh_token)":\s*"[^"]*"`)

// redact removes codes, tokens and states from a URL, a log line or a
// page's text.
func redact(s string) string {
	s = secretField.ReplaceAllString(s, `"$1": "[redacted]"`)
	return secretParam.ReplaceAllString(s, "$1=[redacted]")
}

// dump logs where the tab is, the page's first lines and the console:
// never a cookie, a code or a token (the pages showing tokens show them
// decoded, their raw values are not on the page).
func (b *tab) dump(tabCtx context.Context) {
	ctx, cancel := context.WithTimeout(tabCtx, 5*time.Second)
	defer cancel()
	var loc, text string
	if err := chromedp.Run(ctx, chromedp.Location(&loc),
		chromedp.Evaluate(`document.body ? document.body.innerText : ""`, &text)); err != nil {
		b.t.Logf("browser state unavailable: %v", err)
	}
	if r := []rune(text); len(r) > 3000 {
		text = string(r[:3000]) + "…"
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
	b.waitForWithin(what, cond, time.Until(b.deadline()))
}

// deadline is when the tab's time is up.
func (b *tab) deadline() time.Time {
	d, _ := b.ctx.Deadline()
	return d
}

// waitForWithin is waitFor, failing the test after timeout.
func (b *tab) waitForWithin(what, cond string, timeout time.Duration) {
	b.t.Helper()
	until := time.Now().Add(timeout)
	for {
		var ok bool
		step, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		err := chromedp.Run(step, chromedp.Evaluate(cond, &ok))
		cancel()
		if err == nil && ok {
			return
		}
		if b.ctx.Err() != nil || time.Now().After(until) {
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
		`(location.origin + location.pathname).indexOf(%s) === 0 && document.readyState === "complete" && %s`, q, newPage))
}

// newPage is true in a page the click helpers have not clicked in: after
// a click, the page it leads to.
const newPage = `!window.__clickedHere`

// mark marks the current page as clicked in (see newPage).
func (b *tab) mark() {
	b.t.Helper()
	b.run("mark the page", chromedp.Evaluate(`window.__clickedHere = true`, nil))
}

// eval evaluates the JavaScript expression js in the current page.
func (b *tab) eval(js string, res any) {
	b.t.Helper()
	b.run("evaluate "+js, chromedp.Evaluate(js, res))
}

// text is the page's visible text with codes and tokens redacted, fit
// for a failure message.
func (b *tab) text() string {
	b.t.Helper()
	var s string
	b.eval(`document.body ? document.body.innerText : ""`, &s)
	return redact(s)
}

// has reports whether the page has an element sel.
func (b *tab) has(sel string) bool {
	b.t.Helper()
	var ok bool
	q, _ := json.Marshal(sel)
	b.eval(fmt.Sprintf(`!!document.querySelector(%s)`, q), &ok)
	return ok
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
	b.run("click "+sel, chromedp.WaitVisible(sel, chromedp.ByQuery))
	b.mark()
	b.run("click "+sel, chromedp.Click(sel, chromedp.ByQuery))
}

// clickLink clicks the first link whose visible text contains text.
func (b *tab) clickLink(text string) {
	b.t.Helper()
	q, _ := json.Marshal(text)
	sel := fmt.Sprintf(`//a[contains(normalize-space(.), %s)]`, q)
	b.run("click the link "+text, chromedp.WaitVisible(sel, chromedp.BySearch))
	b.mark()
	b.run("click the link "+text, chromedp.Click(sel, chromedp.BySearch))
}

// clickButton clicks the first button whose visible text contains text.
func (b *tab) clickButton(text string) {
	b.t.Helper()
	q, _ := json.Marshal(text)
	sel := fmt.Sprintf(`//button[contains(normalize-space(.), %s)]`, q)
	b.run("click the button "+text, chromedp.WaitVisible(sel, chromedp.BySearch))
	b.mark()
	b.run("click the button "+text, chromedp.Click(sel, chromedp.BySearch))
}

// clickInFrame clicks the element sel inside the iframe frameSel once it
// has loaded there. A frame of another site runs in a process of its own
// (site isolation) and is driven through its own target.
func (b *tab) clickInFrame(frameSel, sel string) {
	b.t.Helper()
	b.mark()
	until := time.Now().Add(20 * time.Second)
	for {
		step, cancel := context.WithTimeout(b.ctx, 3*time.Second)
		err := b.tryClickInFrame(step, frameSel, sel)
		cancel()
		if err == nil {
			return
		}
		if b.ctx.Err() != nil || time.Now().After(until) {
			b.t.Fatalf("browser: click %s in %s: %v", sel, frameSel, errors.Join(b.ctx.Err(), err))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// attachFrame attaches to the target of an out-of-process frame once, and
// watches its console as the tab's until the tab closes.
func (b *tab) attachFrame(id target.ID) (context.Context, error) {
	b.mu.Lock()
	ctx, ok := b.frames[id]
	b.mu.Unlock()
	if ok {
		return ctx, nil
	}
	ctx, cancel := chromedp.NewContext(b.browser.ctx, chromedp.WithTargetID(id))
	chromedp.ListenTarget(ctx, b.observe)
	if err := chromedp.Run(ctx); err != nil {
		cancel()
		return nil, fmt.Errorf("attach to the frame: %w", err)
	}
	b.t.Cleanup(cancel)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.frames == nil {
		b.frames = map[target.ID]context.Context{}
	}
	b.frames[id] = ctx
	return ctx, nil
}

func (b *tab) tryClickInFrame(ctx context.Context, frameSel, sel string) error {
	var frames []*cdp.Node
	if err := chromedp.Run(ctx, chromedp.Nodes(frameSel, &frames, chromedp.ByQuery)); err != nil {
		return err
	}
	if len(frames) == 0 {
		return errors.New("no frame")
	}
	if doc := frames[0].ContentDocument; doc != nil {
		if err := chromedp.Run(ctx, chromedp.WaitVisible(sel, chromedp.ByQuery, chromedp.FromNode(frames[0]))); err != nil {
			return err
		}
		return chromedp.Run(ctx, chromedp.Click(sel, chromedp.ByQuery, chromedp.FromNode(frames[0])))
	}
	src := frames[0].AttributeValue("src")
	infos, err := chromedp.Targets(b.browser.ctx)
	if err != nil {
		return err
	}
	for _, info := range infos {
		if info.Type != "iframe" || info.BrowserContextID != b.context || info.URL != src {
			continue
		}
		frameCtx, err := b.attachFrame(info.TargetID)
		if err != nil {
			return err
		}
		frameStep, stop := context.WithDeadline(frameCtx, time.Now().Add(3*time.Second))
		defer stop()
		return chromedp.Run(frameStep, chromedp.WaitVisible(sel, chromedp.ByQuery), chromedp.Click(sel, chromedp.ByQuery))
	}
	return errors.New("the frame shows no document and has no target of its own")
}

// typeInto types s into the input sel, key by key.
func (b *tab) typeInto(sel, s string) {
	b.t.Helper()
	b.run("type into "+sel, chromedp.WaitVisible(sel, chromedp.ByQuery), chromedp.SendKeys(sel, s, chromedp.ByQuery))
}

// problemsSoFar are the errors and security problems logged so far.
func (b *tab) problemsSoFar() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.problems...)
}

// noProblems fails the test when any page of the tab logged an error, an
// uncaught exception or a security problem (a Content-Security-Policy
// violation).
func (b *tab) noProblems() {
	b.t.Helper()
	for _, s := range b.problemsSoFar() {
		b.t.Errorf("Chromium logged a problem: %s", s)
	}
}
