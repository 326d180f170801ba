package dingtalktest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
)

// These tests run the embedded scripts in a real headless browser. They need
// DINGTALKTEST_CHROMIUM set to a Chromium or Chrome binary and skip without it.

func chromium(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("DINGTALKTEST_CHROMIUM")
	if bin == "" {
		t.Skip("DINGTALKTEST_CHROMIUM not set")
	}
	return bin
}

// dumpDOM loads url headless and returns the DOM after scripts ran.
func dumpDOM(t *testing.T, bin, ua, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	args := []string{"--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
		"--user-data-dir=" + t.TempDir(), "--virtual-time-budget=10000", "--dump-dom"}
	if ua != "" {
		args = append(args, "--user-agent="+ua)
	}
	out, err := exec.CommandContext(ctx, bin, append(args, url)...).Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	return string(out)
}

// rpServer is a relying party on another origin than the simulator.
func rpServer(t *testing.T, pages map[string]string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	for path, html := range pages {
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, html)
		})
	}
	rp := httptest.NewServer(mux)
	t.Cleanup(rp.Close)
	return rp
}

func TestBrowserJSAPIShim(t *testing.T) {
	bin := chromium(t)
	srv := newServer(t)
	srv.SetClientUser(dingtalktest.DemoCorpID, "alice.wang")
	html := `<!doctype html><html><body><pre id="out"></pre>
<script src="` + srv.URL + `/dingding/dingtalk-jsapi/3.1.0/dingtalk.open.js"></script>
<script>
function log(s){ document.getElementById('out').textContent += s + "\n"; }
log('PLATFORM=' + dd.env.platform);
dd.ready(function(){
  dd.requestAuthCode({corpId: '` + dingtalktest.DemoCorpID + `', clientId: '` + dingtalktest.DemoAppKey + `',
    onSuccess: function(res){ log('NEW=' + res.code); }, onFail: function(e){ log('NEWFAIL=' + e.errorCode); }});
  dd.runtime.permission.requestAuthCode({corpId: '` + dingtalktest.DemoCorpID + `',
    onSuccess: function(info){ log('OLD=' + info.code); }, onFail: function(e){ log('OLDFAIL=' + e.errorCode); }});
  dd.getAuthCode({corpId: '` + dingtalktest.DemoCorpID + `',
    success: function(res){ log('MINI=' + res.authCode); }, fail: function(e){ log('MINIFAIL=' + e.errorCode); }});
  // The legacy mini-program page calls getAuthCode without arguments: the
  // code is for the current corp (dd.corpId).
  dd.getAuthCode({success: function(res){ log('MINIBARE=' + res.authCode); }, fail: function(e){ log('MINIBAREFAIL=' + e.errorCode); }});
  dd.requestAuthCode({corpId: 'dingunknown', clientId: '',
    onSuccess: function(){ log('UNKNOWN=ok'); }, onFail: function(e){ log('UNKNOWNFAIL=' + e.errorCode); }});
});
</script></body></html>`
	rp := rpServer(t, map[string]string{"/app": html})

	dom := dumpDOM(t, bin, dingTalkUA, rp.URL+"/app")
	find := func(key string) string {
		m := regexp.MustCompile(key + `=(\S+)`).FindStringSubmatch(dom)
		if m == nil {
			t.Fatalf("%s missing from DOM:\n%s", key, dom)
		}
		return m[1]
	}
	if p := find("PLATFORM"); p != "ios" {
		t.Errorf("platform = %s, want ios", p)
	}
	if f := find("UNKNOWNFAIL"); f != "3" {
		t.Errorf("unknown corp errorCode = %s, want 3", f)
	}
	tok := demoToken(t, srv)
	for _, k := range []string{"NEW", "OLD", "MINI", "MINIBARE"} {
		r := topapi(t, srv, "/topapi/v2/user/getuserinfo", tok, map[string]string{"code": find(k)})
		if r.str("result", "userid") != "alice.wang" {
			t.Errorf("%s code: E7 = %s", k, r.raw)
		}
	}

	plain := dumpDOM(t, bin, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36", rp.URL+"/app")
	if !regexp.MustCompile(`PLATFORM=notInDingTalk`).MatchString(plain) || !regexp.MustCompile(`NEWFAIL=`).MatchString(plain) {
		t.Errorf("outside DingTalk:\n%s", plain)
	}
}

func TestBrowserDTFrameLogin(t *testing.T) {
	bin := chromium(t)
	srv := newServer(t)
	page := `<!doctype html><html><body><div id="box"></div><pre id="out"></pre>
<script src="` + srv.URL + `/dingding/h5-dingtalk-login/0.21.0/ddlogin.js"></script>
<script>
// Name the login iframe at creation so a form can target it.
var createElement = document.createElement.bind(document);
document.createElement = function(tag){ var el = createElement(tag); if (String(tag).toLowerCase() === 'iframe') el.name = 'dtframe'; return el; };
var params = {redirect_uri: encodeURIComponent(location.origin + '/cb'), response_type: 'code',
  client_id: '` + dingtalktest.DemoAppKey + `', scope: 'openid', prompt: 'consent', state: 'S1'};
window.DTFrameLogin({id: 'box', width: 300, height: 300}, params, function(res){
  document.getElementById('out').textContent = 'AUTH=' + res.authCode + ' STATE=' + res.state + ' URL=' + res.redirectUrl;
}, function(err){ document.getElementById('out').textContent = 'ERR=' + err; });
// Play the user: submit the login page's pick into the iframe.
var frame = document.querySelector('#box iframe');
frame.addEventListener('load', function once(){
  frame.removeEventListener('load', once);
  var f = document.createElement('form');
  f.method = 'post'; f.action = '` + srv.URL + `/oauth2/auth'; f.target = 'dtframe';
  var fields = {client_id: params.client_id, redirect_uri: location.origin + '/cb', response_type: 'code',
    scope: 'openid', prompt: 'consent', state: 'S1', iframe: 'true', user: '` + dingtalktest.DemoCorpID + `:manager4721'};
  for (var k in fields) { var i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = fields[k]; f.appendChild(i); }
  document.body.appendChild(f); f.submit();
});
</script></body></html>`
	rp := rpServer(t, map[string]string{"/login": page})
	rpURL := rp.URL
	dom := dumpDOM(t, bin, "", rpURL+"/login")
	m := regexp.MustCompile(`AUTH=(\S+) STATE=(\S+) URL=(\S+)`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("successCbk not called:\n%s", dom)
	}
	if m[2] != "S1" || !regexp.MustCompile(`^`+regexp.QuoteMeta(rpURL)+`/cb\?authCode=`).MatchString(m[3]) {
		t.Errorf("result = %v", m[1:])
	}
	r := exchange(t, srv, dingtalktest.DemoAppKey, dingtalktest.DemoAppSecret, m[1])
	if r.status != 200 {
		t.Fatalf("E2 with the frame's authCode = %d %s", r.status, r.raw)
	}
}
