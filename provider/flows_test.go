package provider

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/dingbridge/dingbridge/storage"
)

// flowAuth is an Authenticator with the optional parts: it can log in
// silently, refuse, and serves /login/… and /dingtalk/… routes.
type flowAuth struct {
	p        atomic.Pointer[Provider]
	identity storage.Identity
	// canSilent is CanLoginSilently's answer; silentOK whether the silent
	// attempt then succeeds.
	canSilent, silentOK bool
	// refuse makes every interactive login end with access_denied.
	refuse bool
	// hold leaves interactive logins pending: ServeLogin shows a page and
	// neither finishes nor fails the request.
	hold  bool
	calls atomic.Int32
	last  atomic.Pointer[LoginRequest]
}

func (a *flowAuth) CanLoginSilently(_ *http.Request, _ LoginRequest) bool { return a.canSilent }

func (a *flowAuth) ServeLogin(w http.ResponseWriter, r *http.Request, req LoginRequest) {
	a.calls.Add(1)
	a.last.Store(&req)
	p := a.p.Load()
	silent := slices.Contains(req.Prompt, oidc.PromptNone)
	if a.hold && !silent {
		_, _ = io.WriteString(w, "login page")
		return
	}
	if a.refuse || (silent && !a.silentOK) {
		e := oidc.ErrAccessDenied().WithDescription("refused by policy")
		if silent {
			e = oidc.ErrLoginRequired().WithDescription("silent login failed")
		}
		p.FailLogin(w, r, req.AuthRequestID, e)
		return
	}
	id := a.identity
	amr := []string{"qr"}
	if silent {
		amr = []string{"workspace"}
	}
	p.FinishLogin(w, r, Finish{AuthRequestID: req.AuthRequestID, Identity: &id, AMR: amr, CorpID: id.CorpID})
}

// ServeHTTP serves the DingTalk entry points the provider routes to it:
// /dingtalk/start/{client} logs in and hands off to the client,
// /dingtalk/whoami reports the browser's session, /login/cancel fails the
// request with access_denied.
func (a *flowAuth) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := a.p.Load()
	switch {
	case strings.HasPrefix(r.URL.Path, "/dingtalk/start/"):
		id := a.identity
		p.InitiateLogin(w, r, strings.TrimPrefix(r.URL.Path, "/dingtalk/start/"),
			Finish{Identity: &id, AMR: []string{"sso"}, CorpID: id.CorpID},
			InitiateOptions{LoginHint: r.URL.Query().Get("hint"), TargetLinkURI: r.URL.Query().Get("target")})
	case r.URL.Path == "/dingtalk/whoami":
		s, ok := p.CurrentSession(r)
		if !ok {
			http.Error(w, "no session", http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, s.Subject+" "+s.CorpID)
	case r.URL.Path == "/login/cancel":
		p.FailLogin(w, r, r.URL.Query().Get("authRequestID"), oidc.ErrAccessDenied().WithDescription("cancelled"))
	default:
		http.NotFound(w, r)
	}
}

func newFlowEnv(t *testing.T, s storage.Storage) (*env, *flowAuth) {
	t.Helper()
	e := newEnv(t, s)
	a := &flowAuth{identity: e.auth.identity}
	a.p.Store(e.p)
	e.p.SetAuthenticator(a)
	return e, a
}

func TestFailLogin(t *testing.T) {
	e, a := newFlowEnv(t, newSQLite(t))
	a.refuse = true
	c := e.addClient("app", nil)

	q := e.login(t, newBrowser(t), c, url.Values{"state": {"s1"}})
	if q.Get("error") != "access_denied" || q.Get("error_description") != "refused by policy" ||
		q.Get("state") != "s1" || q.Get("iss") != e.issuer || q.Get("code") != "" {
		t.Errorf("refusal sent %v, want access_denied with description, state and iss", q)
	}
	id := a.last.Load().AuthRequestID
	if ar, err := e.store.GetAuthRequest(t.Context(), e.p.AuthRequestLogID(id)); err != nil || !ar.Done || ar.CodeHash != nil {
		t.Errorf("after FailLogin the request is stored as %+v, %v; want done without a code", ar, err)
	}
	resp := visit(t, newBrowser(t), e.issuer+"/login?authRequestID="+url.QueryEscape(id))
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("login after FailLogin: status %d, want 400", resp.StatusCode)
	}
	// The "back to the application" link on an error page.
	resp = visit(t, newBrowser(t), e.issuer+"/login/cancel?authRequestID="+url.QueryEscape(id))
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("cancel of a failed request: status %d, want 400 page", resp.StatusCode)
	}

	// form_post carries the error in the auto-submitted form.
	a.refuse, a.hold = false, true
	b := newBrowser(t)
	resp = visit(t, b, e.authorizeURL(c, url.Values{"response_mode": {"form_post"}, "state": {"fp"}}))
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/dingbridge/authorize" {
		t.Fatalf("authorize: %d at %s, want the login page served in place", resp.StatusCode, resp.Request.URL)
	}
	id = a.last.Load().AuthRequestID
	resp = visit(t, b, e.issuer+"/login/cancel?authRequestID="+url.QueryEscape(id))
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{`name="error" value="access_denied"`, `name="state" value="fp"`, `name="iss" value="` + e.issuer + `"`, c.RedirectURIs[0]} {
		if !strings.Contains(string(body), want) {
			t.Errorf("form_post cancel: body lacks %s:\n%s", want, body)
		}
	}
}

func TestSilentLogin(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e, a := newFlowEnv(t, b.open(t))
			c := e.addClient("app", nil)

			// No SilentAuthenticator: login_required without any call.
			e.p.SetAuthenticator(e.auth)
			q := e.login(t, newBrowser(t), c, url.Values{"prompt": {"none"}, "state": {"n0"}})
			if q.Get("error") != "login_required" || q.Get("state") != "n0" || e.auth.calls.Load() != 0 {
				t.Errorf("prompt=none without a silent authenticator: %v, %d calls", q, e.auth.calls.Load())
			}
			e.p.SetAuthenticator(a)

			// It declines: login_required, no ServeLogin.
			q = e.login(t, newBrowser(t), c, url.Values{"prompt": {"none"}})
			if q.Get("error") != "login_required" || a.calls.Load() != 0 {
				t.Errorf("declined silent login: %v, %d calls", q, a.calls.Load())
			}

			// It accepts but the attempt fails: login_required via FailLogin.
			a.canSilent = true
			q = e.login(t, newBrowser(t), c, url.Values{"prompt": {"none"}, "state": {"n1"}})
			if q.Get("error") != "login_required" || q.Get("state") != "n1" || a.calls.Load() != 1 {
				t.Errorf("failed silent login: %v, %d calls", q, a.calls.Load())
			}

			// It accepts and succeeds: a code, and ServeLogin saw prompt none.
			a.silentOK = true
			browser := newBrowser(t)
			q = e.login(t, browser, c, url.Values{"prompt": {"none"}})
			if q.Get("code") == "" {
				t.Fatalf("silent login: %v, want a code", q)
			}
			if last := a.last.Load(); !slices.Contains(last.Prompt, oidc.PromptNone) {
				t.Errorf("ServeLogin prompt = %v, want none", last.Prompt)
			}
			status, tok := e.exchange(t, c, true, q.Get("code"), "")
			if status != http.StatusOK || tok["id_token"] == nil {
				t.Errorf("silent login code exchange: %d %v", status, tok)
			}
			// The session it opened satisfies the next prompt=none directly.
			calls := a.calls.Load()
			if q = e.login(t, browser, c, url.Values{"prompt": {"none"}}); q.Get("code") == "" || a.calls.Load() != calls {
				t.Errorf("prompt=none with a session: %v, %d new calls", q, a.calls.Load()-calls)
			}
		})
	}
}

func TestInitiateLogin(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e, a := newFlowEnv(t, b.open(t))
			c := e.addClient("app", func(c *storage.Client) {
				c.InitiateLoginURI = "https://" + rpHost + "/initiate?tenant=t1"
			})
			plain := e.addClient("plain", nil)
			browser := newBrowser(t)

			if resp := visit(t, browser, e.issuer+"/dingtalk/whoami"); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("CurrentSession before login: status %d, want 401", resp.StatusCode)
			}
			e.store.reset()
			resp := visit(t, browser, e.issuer+"/dingtalk/start/app?"+url.Values{"hint": {"corp:ding-corp-1"}, "target": {"https://rp.example/report"}}.Encode())
			q := rpRedirect(t, resp)
			loc, _ := url.Parse(resp.Header.Get("Location"))
			if loc.Path != "/initiate" || q.Get("iss") != e.issuer || q.Get("tenant") != "t1" ||
				q.Get("login_hint") != "corp:ding-corp-1" || q.Get("target_link_uri") != "https://rp.example/report" {
				t.Errorf("initiate redirect = %s", loc)
			}
			if w := e.store.reset(); !slices.Equal(w, []string{"CompleteLogin"}) {
				t.Errorf("initiate login wrote %v, want one CompleteLogin", w)
			}
			who := visit(t, browser, e.issuer+"/dingtalk/whoami")
			body, _ := io.ReadAll(who.Body)
			if who.StatusCode != http.StatusOK || !strings.HasSuffix(string(body), " ding-corp-1") {
				t.Errorf("CurrentSession after initiate: %d %q", who.StatusCode, body)
			}

			// The relying party's authorization request completes at once.
			q = e.login(t, browser, c, nil)
			if q.Get("code") == "" || a.calls.Load() != 0 {
				t.Fatalf("authorization after initiate: %v, %d Authenticator calls", q, a.calls.Load())
			}
			status, tok := e.exchange(t, c, true, q.Get("code"), "")
			if status != http.StatusOK || tok["session_state"] == nil {
				t.Fatalf("exchange: %d %v", status, tok)
			}
			if sub, _, _ := strings.Cut(string(body), " "); tok["id_token"] == nil || sub == "" {
				t.Errorf("token response %v for subject %q", tok, sub)
			}

			// No initiate_login_uri, or an unknown client: an error page.
			for _, id := range []string{plain.ID, "nobody"} {
				resp = visit(t, newBrowser(t), e.issuer+"/dingtalk/start/"+id)
				page, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(page), "<html") {
					t.Errorf("initiate for %s: %d, want the 400 error page", id, resp.StatusCode)
				}
			}
		})
	}
}

func TestAuthenticatorRoutes(t *testing.T) {
	e := newEnv(t, newSQLite(t))
	// stubAuth is no http.Handler: its prefixes are not found.
	for _, path := range []string{"/login/cancel", "/dingtalk/whoami"} {
		if resp := visit(t, newBrowser(t), e.issuer+path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s without a handler: %d, want 404", path, resp.StatusCode)
		}
	}
	if e.p.Issuer() != e.issuer {
		t.Errorf("Issuer() = %q, want %q", e.p.Issuer(), e.issuer)
	}
	c := e.addClient("app", nil)
	got, err := e.p.Client(t.Context(), c.ID)
	if err != nil || got.Name != c.Name {
		t.Errorf("Client() = %+v, %v", got, err)
	}
}
