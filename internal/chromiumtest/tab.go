package chromiumtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// TabOptions shape a tab.
type TabOptions struct {
	// UserAgent replaces the browser's own when set.
	UserAgent string
	// Mobile emulates a phone's screen (390×844 CSS pixels, touch).
	Mobile bool
	// Language is the Accept-Language (and navigator.language); "en"
	// when empty.
	Language string
}

// Tab is one page in its own browser context: cookies, storage and
// cache are not shared with any other tab.
type Tab struct {
	t       testing.TB
	ctx     context.Context // carries the browser's deadline
	browser *Browser
	context cdp.BrowserContextID

	// mu guards console, problems, security and frames.
	mu       sync.Mutex
	frames   map[target.ID]context.Context // attached out-of-process frames
	console  []string                      // console messages and browser log entries, redacted
	problems []string                      // the subset that are errors or security (CSP) reports
	security []string                      // the subset that are security (CSP) reports
}

// NewTab opens a tab for t (the test or one of its subtests) in a new
// browser context. A new browser context has no window to hold a tab, so
// the tab gets a window of its own.
func (c *Browser) NewTab(t testing.TB, o TabOptions) *Tab {
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
	b := &Tab{t: t, browser: c, context: browserContext}
	chromedp.ListenTarget(tabCtx, b.observe)
	// The first Run attaches to the target and must use tabCtx itself.
	setup := chromedp.Tasks{emulation.SetUserAgentOverride(o.UserAgent).WithAcceptLanguage(o.Language)}
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
// violations are logged with source "security") are problems; security
// reports are also kept apart.
func (b *Tab) observe(ev any) {
	var line string
	problem, security := false, false
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
		security = ev.Entry.Source == log.SourceSecurity ||
			strings.Contains(ev.Entry.Text, "Content Security Policy")
		problem = (ev.Entry.Level == log.LevelError && !favicon) || security
	default:
		return
	}
	line = Redact(line)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.console = append(b.console, line)
	if problem {
		b.problems = append(b.problems, line)
	}
	if security {
		b.security = append(b.security, line)
	}
}

// dump logs where the tab is, the page's first lines and the console:
// never a cookie, a code or a token (the pages showing tokens show them
// decoded, their raw values are not on the page).
func (b *Tab) dump(tabCtx context.Context) {
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
	b.t.Logf("browser at %s\npage text:\n%s\nconsole:\n%s", Redact(loc), Redact(text), console)
}

// Run runs actions, failing the test on error.
func (b *Tab) Run(what string, actions ...chromedp.Action) {
	b.t.Helper()
	if err := chromedp.Run(b.ctx, actions...); err != nil {
		b.t.Fatalf("browser: %s: %v", what, err)
	}
}

// Navigate opens u as if typed into the address bar.
func (b *Tab) Navigate(u string) {
	b.t.Helper()
	b.Run("open "+Redact(u), chromedp.Navigate(u))
}

// WaitFor waits until the JavaScript expression cond is true in the
// current page. Navigations come and go meanwhile, so an evaluation that
// fails is retried.
func (b *Tab) WaitFor(what, cond string) {
	b.t.Helper()
	b.WaitForWithin(what, cond, time.Until(b.Deadline()))
}

// Deadline is when the tab's time is up.
func (b *Tab) Deadline() time.Time {
	d, _ := b.ctx.Deadline()
	return d
}

// WaitForWithin is WaitFor, failing the test after timeout.
func (b *Tab) WaitForWithin(what, cond string, timeout time.Duration) {
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

// WaitForPage waits until a page whose URL starts with prefix (origin
// and path) has loaded and is not marked (see Mark).
func (b *Tab) WaitForPage(prefix string) {
	b.t.Helper()
	q, _ := json.Marshal(prefix)
	b.WaitFor("a page at "+prefix, fmt.Sprintf(
		`(location.origin + location.pathname).indexOf(%s) === 0 && document.readyState === "complete" && %s`, q, NewPage))
}

// NewPage is a JavaScript expression true in a page the click helpers
// have not clicked in: after a click, the page it leads to.
const NewPage = `!window.__clickedHere`

// Mark marks the current page as clicked in, so that WaitForPage waits
// for the page a click leads to. The click helpers mark before they click.
func (b *Tab) Mark() {
	b.t.Helper()
	b.Run("mark the page", chromedp.Evaluate(`window.__clickedHere = true`, nil))
}

// Eval evaluates the JavaScript expression js in the current page.
func (b *Tab) Eval(js string, res any) {
	b.t.Helper()
	b.Run("evaluate "+js, chromedp.Evaluate(js, res))
}

// Text is the page's visible text with codes and tokens redacted, fit
// for a failure message.
func (b *Tab) Text() string {
	b.t.Helper()
	var s string
	b.Eval(`document.body ? document.body.innerText : ""`, &s)
	return Redact(s)
}

// Has reports whether the page has an element sel.
func (b *Tab) Has(sel string) bool {
	b.t.Helper()
	var ok bool
	q, _ := json.Marshal(sel)
	b.Eval(fmt.Sprintf(`!!document.querySelector(%s)`, q), &ok)
	return ok
}

// Attr reads an attribute of the element sel.
func (b *Tab) Attr(sel, name string) string {
	b.t.Helper()
	var v string
	var ok bool
	b.Run("read "+sel+" "+name, chromedp.AttributeValue(sel, name, &v, &ok, chromedp.ByQuery))
	if !ok {
		b.t.Fatalf("%s has no attribute %s", sel, name)
	}
	return v
}

// Click clicks the element sel with the mouse once it is visible.
func (b *Tab) Click(sel string) {
	b.t.Helper()
	b.Run("click "+sel, chromedp.WaitVisible(sel, chromedp.ByQuery))
	b.Mark()
	b.Run("click "+sel, chromedp.Click(sel, chromedp.ByQuery))
}

// ClickLink clicks the first link whose visible text contains text.
func (b *Tab) ClickLink(text string) {
	b.t.Helper()
	q, _ := json.Marshal(text)
	sel := fmt.Sprintf(`//a[contains(normalize-space(.), %s)]`, q)
	b.Run("click the link "+text, chromedp.WaitVisible(sel, chromedp.BySearch))
	b.Mark()
	b.Run("click the link "+text, chromedp.Click(sel, chromedp.BySearch))
}

// ClickButton clicks the first button whose visible text contains text.
func (b *Tab) ClickButton(text string) {
	b.t.Helper()
	q, _ := json.Marshal(text)
	sel := fmt.Sprintf(`//button[contains(normalize-space(.), %s)]`, q)
	b.Run("click the button "+text, chromedp.WaitVisible(sel, chromedp.BySearch))
	b.Mark()
	b.Run("click the button "+text, chromedp.Click(sel, chromedp.BySearch))
}

// ClickInFrame clicks the element sel inside the iframe frameSel once it
// has loaded there. A frame of another site runs in a process of its own
// (site isolation) and is driven through its own target.
func (b *Tab) ClickInFrame(frameSel, sel string) {
	b.t.Helper()
	b.Mark()
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
func (b *Tab) attachFrame(id target.ID) (context.Context, error) {
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

func (b *Tab) tryClickInFrame(ctx context.Context, frameSel, sel string) error {
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

// TypeInto types s into the input sel, key by key.
func (b *Tab) TypeInto(sel, s string) {
	b.t.Helper()
	b.Run("type into "+sel, chromedp.WaitVisible(sel, chromedp.ByQuery), chromedp.SendKeys(sel, s, chromedp.ByQuery))
}

// Problems are the errors and security problems logged so far.
func (b *Tab) Problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.problems...)
}

// NoProblems fails the test when any page of the tab logged an error, an
// uncaught exception or a security problem (a Content-Security-Policy
// violation).
func (b *Tab) NoProblems() {
	b.t.Helper()
	for _, s := range b.Problems() {
		b.t.Errorf("Chromium logged a problem: %s", s)
	}
}

// SecurityProblems are the security problems (Content-Security-Policy
// violations) logged so far.
func (b *Tab) SecurityProblems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.security...)
}

// NoSecurityErrors fails the test when Chromium logged a security problem
// (a Content-Security-Policy violation) for any page of the tab.
func (b *Tab) NoSecurityErrors() {
	b.t.Helper()
	for _, s := range b.SecurityProblems() {
		b.t.Errorf("Chromium logged a security problem: %s", s)
	}
}
