package chromiumtest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dingbridge/dingbridge/internal/chromiumtest"
)

// TestChromiumSeesProblems keeps NoProblems honest: a blocked inline
// script (a CSP violation), console.error and an uncaught exception are
// each recorded; a missing favicon is not.
func TestChromiumSeesProblems(t *testing.T) {
	c := chromiumtest.Start(t, 30*time.Second)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self'")
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<!doctype html><title>problems</title><script>document.title = "ran";</script><script src="/page.js"></script>`)
		case "/page.js":
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprint(w, `console.error("the page says no"); setTimeout(function () { throw new Error("uncaught here"); }, 0);`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	b := c.NewTab(t, chromiumtest.TabOptions{})
	b.Navigate(srv.URL + "/")
	want := []string{"Content Security Policy", "the page says no", "uncaught here"}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := strings.Join(b.Problems(), "\n")
		missing := slices.DeleteFunc(slices.Clone(want), func(w string) bool { return strings.Contains(got, w) })
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("problems not recorded: %q; recorded:\n%s", missing, got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var title string
	b.Run("read the title", chromedp.Title(&title))
	if title != "problems" {
		t.Errorf("title = %q: the inline script ran despite the policy", title)
	}
	for _, p := range b.Problems() {
		if strings.Contains(p, "favicon.ico") {
			t.Errorf("a missing favicon counted as a problem: %s", p)
		}
	}
}
