// Package chromiumtest drives a real headless Chromium over the DevTools
// protocol for browser tests. It is imported only by tests.
//
// A browser starts when DINGBRIDGE_CHROMIUM names the binary (CI sets it);
// otherwise Start skips the test, unless CI is set: then a missing
// Chromium fails it.
package chromiumtest

import (
	"context"
	"os"
	"regexp"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// Browser is one headless Chromium process owned by one test.
type Browser struct {
	ctx      context.Context // the browser's chromedp context, not bound to t.Context
	deadline time.Time
	ua       string // the browser's own User-Agent
}

// Start starts Chromium for t with a fresh profile; every action in it
// must finish within timeout, Chromium's start included. The browser is
// closed when t ends.
func Start(t testing.TB, timeout time.Duration) *Browser {
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
	c := &Browser{ctx: ctx, deadline: time.Now().Add(timeout)}
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

// secretParam matches the values of query parameters and form fields
// that carry a code, a token or a state.
var secretParam = regexp.MustCompile(`(?i)\b(code|authCode|auth_code|state|id_token|id_token_hint|access_token|refresh_token|tmp_auth_code)=[^&\s"'#]*`)

// secretField matches the values of JSON members that carry a token, as
// the mini-program page shows them.
var secretField = regexp.MustCompile(`"(id_token|access_token|refresh_token)":\s*"[^"]*"`)

// Redact removes codes, tokens and states from a URL, a log line or a
// page's text.
func Redact(s string) string {
	s = secretField.ReplaceAllString(s, `"$1": "[redacted]"`)
	return secretParam.ReplaceAllString(s, "$1=[redacted]")
}
