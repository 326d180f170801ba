package login_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/dingbridge/dingbridge/dingtalk"
	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
	"github.com/dingbridge/dingbridge/internal/syncbuf"
	"github.com/dingbridge/dingbridge/provider"
	"github.com/dingbridge/dingbridge/provider/login"
	"github.com/dingbridge/dingbridge/provider/resolve"
	"github.com/dingbridge/dingbridge/storage"
	"github.com/dingbridge/dingbridge/storage/sqlite"
)

// dingTalkUA is a DingTalk mobile client's User-Agent.
const dingTalkUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 AliApp(DingTalk/7.6.0) com.laiwang.DingTalk/1 Channel/201200 language/zh-Hans-CN"

// clock is a settable clock; zero offset is real time.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// env is the whole bridge on loopback: the DingTalk simulator, SQLite,
// the provider with the login step, and a relying party.
type env struct {
	t      *testing.T
	dt     *dingtalktest.Server
	store  storage.Storage
	p      *provider.Provider
	login  *login.Login
	issuer string
	rp     *rp
	clock  *clock
	logs   *syncbuf.Buffer
	client storage.Client
}

// options shape an env.
type options struct {
	corps     []resolve.Corp
	suites    []resolve.Suite
	policy    storage.ClientPolicy
	pushToken string
	dev       bool
}

func corp1() resolve.Corp {
	return resolve.Corp{CorpID: dingtalktest.DemoCorpID, Name: dingtalktest.DemoCorpName,
		AppKey: dingtalktest.DemoAppKey, AppSecret: dingtalktest.DemoAppSecret, AgentID: dingtalktest.DemoAgentID,
		SSOSecret: dingtalktest.DemoSSOSecret}
}

func corp2() resolve.Corp {
	return resolve.Corp{CorpID: dingtalktest.DemoCorp2ID, Name: dingtalktest.DemoCorp2Name,
		AppKey: dingtalktest.DemoApp2Key, AppSecret: dingtalktest.DemoApp2Secret, AgentID: dingtalktest.DemoAgent2ID,
		SSOSecret: dingtalktest.DemoSSO2Secret}
}

func newEnv(t *testing.T, o options) *env {
	t.Helper()
	if o.corps == nil {
		o.corps = []resolve.Corp{corp1()}
	}
	e := &env{t: t, clock: &clock{}, logs: &syncbuf.Buffer{}}
	e.dt = dingtalktest.NewServer()
	t.Cleanup(e.dt.Close)
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db.sqlite"), sqlite.Options{})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	e.store = st

	dt := dingtalk.NewClient(dingtalk.Config{
		Endpoints: dingtalk.Endpoints{OAPI: e.dt.URL, API: e.dt.URL, Login: e.dt.URL},
		Logger:    logger,
	})
	res, err := resolve.New(resolve.Config{
		Corps:     o.corps,
		Suites:    o.suites,
		LoginApps: []resolve.LoginApp{{AppID: dingtalktest.DemoLoginAppID, AppSecret: dingtalktest.DemoLoginAppSecret}},
	}, dt, st, resolve.Options{Logger: logger})
	if err != nil {
		t.Fatalf("resolve.New: %v", err)
	}

	var h atomic.Pointer[http.Handler]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*h.Load()).ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	e.issuer = srv.URL + "/dingbridge"
	keys := func(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }
	e.p, err = provider.New(t.Context(), provider.Config{
		Issuer:           e.issuer,
		Storage:          st,
		Logger:           logger,
		KeyEncryptionKey: keys(1),
		CookieHashKey:    keys(2),
		CookieBlockKey:   keys(3),
		Insecure:         true,
		Now:              e.clock.Now,
	})
	if err != nil {
		t.Fatalf("provider.New: %v", err)
	}
	e.login, err = login.New(login.Config{
		Provider:             e.p,
		Resolver:             res,
		DingTalk:             dt,
		CookieHashKey:        keys(4),
		CookieBlockKey:       keys(5),
		Insecure:             true,
		JSAPIScriptURL:       e.dt.URL + "/dingtalk.open.js",
		FrameLoginScriptURL:  e.dt.URL + "/ddlogin.js",
		SuiteTicketPushToken: o.pushToken,
		Dev:                  o.dev,
		Logger:               logger,
		Now:                  e.clock.Now,
	})
	if err != nil {
		t.Fatalf("login.New: %v", err)
	}
	e.p.SetAuthenticator(e.login)
	e.p.SetCodeExchanger(e.login)
	handler := e.p.Handler()
	h.Store(&handler)

	e.rp = newRP(t, e.issuer)
	secret, hash, err := provider.GenerateClientSecret()
	if err != nil {
		t.Fatal(err)
	}
	e.client = storage.Client{
		ID: "app1", Name: "Demo App", ApplicationType: "web", SecretHash: hash,
		RedirectURIs:     []string{e.rp.srv.URL + "/cb"},
		InitiateLoginURI: e.rp.srv.URL + "/initiate",
		GrantTypes:       []string{"authorization_code", "refresh_token", provider.GrantTokenExchange},
		Policy:           o.policy,
	}
	if err := provider.ValidateClient(e.client); err != nil {
		t.Fatalf("ValidateClient: %v", err)
	}
	if err := st.CreateClient(t.Context(), e.client); err != nil {
		t.Fatal(err)
	}
	e.rp.clientID, e.rp.secret = e.client.ID, secret
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", e.logs.String())
		}
	})
	return e
}

// rp is a relying party built on coreos/go-oidc and x/oauth2. /start
// begins an authorization request (its query is passed on as
// authorization parameters), /initiate is the initiate_login_uri, /cb
// answers JSON with the verified ID token's subject and amr, or the error
// it received.
type rp struct {
	t                *testing.T
	srv              *httptest.Server
	issuer           string
	clientID, secret string
	mu               sync.Mutex
	pending          map[string][2]string // state → nonce, PKCE verifier
}

// rpResult is what the RP's callback answers.
type rpResult struct {
	Sub              string         `json:"sub"`
	AMR              []string       `json:"amr"`
	Claims           map[string]any `json:"claims"`
	Error            string         `json:"error"`
	ErrorDescription string         `json:"error_description"`
	Initiated        bool           `json:"initiated"`
}

func newRP(t *testing.T, issuer string) *rp {
	r := &rp{t: t, issuer: issuer, pending: map[string][2]string{}}
	r.srv = httptest.NewServer(r)
	t.Cleanup(r.srv.Close)
	return r
}

func (r *rp) config(ctx context.Context) (oauth2.Config, *oidc.IDTokenVerifier, error) {
	p, err := oidc.NewProvider(ctx, r.issuer)
	if err != nil {
		return oauth2.Config{}, nil, err
	}
	return oauth2.Config{
		ClientID: r.clientID, ClientSecret: r.secret, Endpoint: p.Endpoint(),
		RedirectURL: r.srv.URL + "/cb", Scopes: []string{oidc.ScopeOpenID, "profile"},
	}, p.Verifier(&oidc.Config{ClientID: r.clientID}), nil
}

func randomString() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (r *rp) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	ctx := req.Context()
	conf, verifier, err := r.config(ctx)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	q := req.URL.Query()
	switch req.URL.Path {
	case "/initiate":
		if q.Get("iss") != r.issuer {
			http.Error(w, "wrong iss", http.StatusBadRequest)
			return
		}
		q = url.Values{}
		q.Set("initiated", "1")
		fallthrough
	case "/start":
		state, nonce, pkce := randomString(), randomString(), oauth2.GenerateVerifier()
		r.mu.Lock()
		r.pending[state] = [2]string{nonce, pkce}
		r.mu.Unlock()
		opts := []oauth2.AuthCodeOption{oidc.Nonce(nonce), oauth2.S256ChallengeOption(pkce)}
		for k := range q {
			if k != "initiated" {
				opts = append(opts, oauth2.SetAuthURLParam(k, q.Get(k)))
			}
		}
		if q.Get("initiated") != "" {
			http.SetCookie(w, &http.Cookie{Name: "rp_initiated", Value: state, Path: "/"})
		}
		http.Redirect(w, req, conf.AuthCodeURL(state, opts...), http.StatusFound)
	case "/cb":
		out := rpResult{Error: q.Get("error"), ErrorDescription: q.Get("error_description")}
		if c, err := req.Cookie("rp_initiated"); err == nil && c.Value == q.Get("state") {
			out.Initiated = true
		}
		if out.Error == "" {
			r.mu.Lock()
			pend, ok := r.pending[q.Get("state")]
			delete(r.pending, q.Get("state"))
			r.mu.Unlock()
			if !ok {
				http.Error(w, "unknown state", http.StatusBadRequest)
				return
			}
			tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pend[1]))
			if err != nil {
				http.Error(w, "exchange: "+err.Error(), http.StatusBadGateway)
				return
			}
			raw, _ := tok.Extra("id_token").(string)
			idt, err := verifier.Verify(ctx, raw)
			if err != nil || idt.Nonce != pend[0] {
				http.Error(w, "id token: bad", http.StatusBadGateway)
				return
			}
			out.Sub = idt.Subject
			if err := idt.Claims(&out.Claims); err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			if amr, ok := out.Claims["amr"].([]any); ok {
				for _, a := range amr {
					out.AMR = append(out.AMR, a.(string))
				}
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	default:
		http.NotFound(w, req)
	}
}

// browser is a cookie-jar HTTP client with a User-Agent, following
// redirects.
type browser struct {
	t  *testing.T
	c  *http.Client
	ua string
}

func newBrowser(t *testing.T, ua string) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, c: &http.Client{Jar: jar}, ua: ua}
}

// page is one response the browser ended at.
type page struct {
	status int
	url    *url.URL
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	if b.ua != "" {
		req.Header.Set("User-Agent", b.ua)
	}
	req.Header.Set("Accept-Language", "en")
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, url: resp.Request.URL, header: resp.Header, body: string(body)}
}

func (b *browser) get(u string) page {
	b.t.Helper()
	req, err := http.NewRequestWithContext(b.t.Context(), http.MethodGet, u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) page {
	b.t.Helper()
	req, err := http.NewRequestWithContext(b.t.Context(), http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// result decodes the RP's callback answer the browser ended at.
func (p page) result(t *testing.T) rpResult {
	t.Helper()
	if p.status != http.StatusOK || p.url.Path != "/cb" {
		t.Fatalf("ended at %s with status %d, want the RP's callback; body:\n%s", p.url, p.status, p.body)
	}
	var r rpResult
	if err := json.Unmarshal([]byte(p.body), &r); err != nil {
		t.Fatalf("RP answer: %v\n%s", err, p.body)
	}
	return r
}

// attr returns the first value of a data attribute or attribute in the
// page.
func (p page) attr(t *testing.T, name string) string {
	t.Helper()
	m := regexp.MustCompile(`\s` + regexp.QuoteMeta(name) + `="([^"]*)"`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("page %s has no %s:\n%s", p.url, name, p.body)
	}
	return html.UnescapeString(m[1])
}

// input returns the value of the hidden form field name.
func (p page) input(t *testing.T, name string) string {
	t.Helper()
	m := regexp.MustCompile(`<input type="hidden" name="` + regexp.QuoteMeta(name) + `" value="([^"]*)">`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("page %s has no field %s:\n%s", p.url, name, p.body)
	}
	return html.UnescapeString(m[1])
}

// link returns the href of the first link whose text contains text.
func (p page) link(t *testing.T, text string) string {
	t.Helper()
	for _, m := range regexp.MustCompile(`<a[^>]*href="([^"]*)"[^>]*>([^<]*)</a>`).FindAllStringSubmatch(p.body, -1) {
		if strings.Contains(html.UnescapeString(m[2]), text) {
			return html.UnescapeString(m[1])
		}
	}
	t.Fatalf("page %s has no link %q:\n%s", p.url, text, p.body)
	return ""
}

// start begins a login at the RP with extra authorization parameters.
func (e *env) start(b *browser, params url.Values) page {
	e.t.Helper()
	return b.get(e.rp.srv.URL + "/start?" + params.Encode())
}

// qrLogin logs userID of corpID in through the QR page's new OAuth2
// callback, with a code minted for the page's DingTalk app.
func (e *env) qrLogin(b *browser, corpID, userID string) rpResult {
	e.t.Helper()
	qr := e.start(b, nil)
	if qr.status != http.StatusOK || !strings.Contains(qr.body, `id="dt-qr"`) {
		e.t.Fatalf("want the QR page, got %d at %s:\n%s", qr.status, qr.url, qr.body)
	}
	code := e.dt.IssueCode(dingtalktest.CodeOAuth, qr.attr(e.t, "data-client-id"), corpID, userID)
	return e.callback(b, qr.attr(e.t, "data-state"), code).result(e.t)
}

func (e *env) callback(b *browser, state, code string) page {
	return b.get(e.issuer + "/login/dingtalk/callback?" + url.Values{"authCode": {code}, "state": {state}}.Encode())
}

// workspaceLogin logs userID in inside DingTalk through the workspace page.
func (e *env) workspaceLogin(b *browser, corpID, userID string, params url.Values) rpResult {
	e.t.Helper()
	ws := e.start(b, params)
	return e.postWorkspace(b, ws, e.dt.IssueCode(dingtalktest.CodeJSAPI, "", corpID, userID)).result(e.t)
}

// postWorkspace posts a code the way the workspace page's script does.
func (e *env) postWorkspace(b *browser, ws page, code string) page {
	e.t.Helper()
	if ws.status != http.StatusOK || !strings.Contains(ws.body, `id="dd-login"`) {
		e.t.Fatalf("want the workspace page, got %d at %s:\n%s", ws.status, ws.url, ws.body)
	}
	return b.post(ws.attr(e.t, "action"), url.Values{
		"state": {ws.input(e.t, "state")}, "code": {code}, "corpId": {ws.input(e.t, "corpId")},
	})
}
