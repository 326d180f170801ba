package dingtalktest_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/dingbridge/dingbridge/dingtalk"
	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
)

// The legacy embedded QR (reference §5.7): DDLogin's iframe
// login/qrcode.htm?goto=… posts a loginTmpCode to the page, which then opens
// the goto sns_authorize URL plus &loginTmpCode=; DingTalk redirects to the
// callback with code and state (E11).
func TestLegacyDDLoginTmpCode(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := newClient(t, srv)
	p := dingtalk.LegacyAuthParams{AppID: dingtalktest.DemoLoginAppID, RedirectURI: "https://rp.example/sns/cb", State: "ST9"}
	gotoURL := c.SNSAuthorizeURL(p)

	status, _, body := page(t, srv, "GET", "/login/qrcode.htm?goto="+url.QueryEscape(gotoURL), nil, "")
	if status != http.StatusOK || !strings.Contains(body, "alice.wang") {
		t.Fatalf("qrcode.htm: %d %s", status, body)
	}
	form := url.Values{"goto": {gotoURL}, "user": {dingtalktest.DemoCorpID + ":alice.wang"}}
	status, _, body = page(t, srv, "POST", "/login/qrcode.htm", form, "")
	m := regexp.MustCompile(`parent\.postMessage\("([0-9a-f]+)", "\*"\)`).FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		t.Fatalf("qrcode.htm pick: %d, no loginTmpCode message in %s", status, body)
	}
	p.LoginTmpCode = m[1]
	withTmp := c.SNSAuthorizeURL(p)
	status, loc, _ := page(t, srv, "GET", strings.TrimPrefix(withTmp, srv.URL), nil, "")
	cb, _ := url.Parse(loc)
	if status != http.StatusFound || !strings.HasPrefix(loc, "https://rp.example/sns/cb?") || cb.Query().Get("state") != "ST9" || cb.Query().Get("code") == "" {
		t.Fatalf("sns_authorize with loginTmpCode: %d %q", status, loc)
	}
	info, err := c.App(dingtalk.App{AppKey: dingtalktest.DemoLoginAppID, AppSecret: dingtalktest.DemoLoginAppSecret}).
		SNSUserInfo(t.Context(), cb.Query().Get("code"))
	if err != nil || info.UnionID != dingtalktest.DemoSharedUnionID {
		t.Fatalf("E12 with the code = %+v, %v", info, err)
	}
	// loginTmpCode is one-time.
	if status, _, _ := page(t, srv, "GET", strings.TrimPrefix(withTmp, srv.URL), nil, ""); status != http.StatusBadRequest {
		t.Errorf("reused loginTmpCode: %d, want 400", status)
	}
	// goto must be this simulator's sns_authorize for a known app.
	if status, _, _ := page(t, srv, "GET", "/login/qrcode.htm?goto="+url.QueryEscape("https://evil.example/x"), nil, ""); status != http.StatusBadRequest {
		t.Errorf("foreign goto: %d, want 400", status)
	}
	for _, path := range []string{"/dingding/dinglogin/0.0.5/ddLogin.js", "/ddLogin.js"} {
		if status, _, js := page(t, srv, "GET", path, nil, ""); status != 200 || !strings.Contains(js, "window.DDLogin") {
			t.Errorf("GET %s: %d", path, status)
		}
	}
}
