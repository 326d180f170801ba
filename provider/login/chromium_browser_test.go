package login_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dingbridge/dingbridge/internal/chromiumtest"
)

// browserTestTimeout bounds each browser test, Chromium's start included.
const browserTestTimeout = 60 * time.Second

// newChromium starts Chromium for t (see chromiumtest.Start); it is closed
// when t ends.
func newChromium(t *testing.T) *chromiumtest.Browser {
	t.Helper()
	return chromiumtest.Start(t, browserTestTimeout)
}

// readRPResult waits for the relying party's callback in b and decodes
// what it shows: the verified ID token's subject and claims, or the error.
func readRPResult(t *testing.T, b *chromiumtest.Tab, e *env) rpResult {
	t.Helper()
	b.WaitForPage(e.rp.srv.URL + "/cb")
	var raw string
	b.Run("read the RP's answer", chromedp.Evaluate(
		`(document.querySelector("body > pre") || document.body).innerText`, &raw))
	var r rpResult
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		t.Fatalf("the RP's callback shows no result (%v):\n%s", err, raw)
	}
	return r
}
