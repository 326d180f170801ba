package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gorilla/securecookie"
	"golang.org/x/oauth2"

	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
	"github.com/dingbridge/dingbridge/provider/login"
)

//go:embed demo.html demo.css
var demoFS embed.FS

var demoTemplates = template.Must(template.ParseFS(demoFS, "demo.html"))

// demoCSP allows the page's own stylesheet and forms, nothing else.
const demoCSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// demoScopes are the scopes the demo relying party asks for.
var demoScopes = []string{oidc.ScopeOpenID, "profile", "email", "groups", "dingtalk", oidc.ScopeOfflineAccess}

// demoConfig configures the demo relying party.
type demoConfig struct {
	issuer, clientID, secret, miniClientID string
	// sim mints the codes DingTalk would give the admin console and mini
	// programs; simURL is where it listens.
	sim    *dingtalktest.Simulator
	simURL string
}

// demoRP is the relying party "dingbridge dev" serves at /demo/: a
// confidential client using coreos/go-oidc and x/oauth2 with PKCE, state
// and nonce kept in a securecookie, that shows what the bridge issued.
type demoRP struct {
	cfg     demoConfig
	origin  string
	cookies *securecookie.SecureCookie
	mux     *http.ServeMux

	// mu guards prov and sessions.
	mu   sync.Mutex
	prov *oidc.Provider
	// sessions are the logged-in browsers, by the random id in the
	// demo_session cookie; they hold the tokens the Refresh and Log out
	// buttons need.
	sessions map[string]*demoSession
}

// demoSession is one logged-in browser.
type demoSession struct {
	idToken string
	token   *oauth2.Token
	name    string
}

// demoPending is a started authorization, kept in the demo_auth cookie.
type demoPending struct {
	State, Nonce, Verifier string
}

const (
	demoAuthCookie    = "demo_auth"
	demoSessionCookie = "demo_session"
)

func newDemoRP(cfg demoConfig) *demoRP {
	d := &demoRP{
		cfg:      cfg,
		origin:   originOf(cfg.issuer),
		cookies:  securecookie.New(securecookie.GenerateRandomKey(32), securecookie.GenerateRandomKey(32)),
		sessions: map[string]*demoSession{},
	}
	d.cookies.MaxAge(int((12 * time.Hour).Seconds()))
	m := http.NewServeMux()
	m.HandleFunc("GET /demo/{$}", d.index)
	m.HandleFunc("GET /demo/demo.css", d.css)
	m.HandleFunc("GET /demo/start", d.start)
	m.HandleFunc("GET /demo/login", d.initiated)
	m.HandleFunc("GET /demo/callback", d.callback)
	m.HandleFunc("POST /demo/refresh", d.refresh)
	m.HandleFunc("GET /demo/logout", d.logout)
	m.HandleFunc("POST /demo/dev-client", d.devClient)
	m.HandleFunc("GET /demo/admin", d.admin)
	m.HandleFunc("GET /demo/mini", d.miniForm)
	m.HandleFunc("POST /demo/mini", d.mini)
	d.mux = m
	return d
}

func (d *demoRP) ServeHTTP(w http.ResponseWriter, r *http.Request) { d.mux.ServeHTTP(w, r) }

// provider discovers the issuer once it answers.
func (d *demoRP) provider(ctx context.Context) (*oidc.Provider, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.prov != nil {
		return d.prov, nil
	}
	p, err := oidc.NewProvider(ctx, d.cfg.issuer)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", d.cfg.issuer, err)
	}
	d.prov = p
	return p, nil
}

func (d *demoRP) oauth2Config(p *oidc.Provider) oauth2.Config {
	return oauth2.Config{
		ClientID: d.cfg.clientID, ClientSecret: d.cfg.secret, Endpoint: p.Endpoint(),
		RedirectURL: d.origin + "/demo/callback", Scopes: demoScopes,
	}
}

// render writes a page of demo.html, rendered into a buffer first.
func (d *demoRP) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := demoTemplates.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "template: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", demoCSP)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// demoError is the data of the error page.
type demoError struct {
	Title, Detail string
}

func (d *demoRP) fail(w http.ResponseWriter, status int, title string, err error) {
	d.render(w, status, "error", demoError{Title: title, Detail: err.Error()})
}

func (d *demoRP) css(w http.ResponseWriter, r *http.Request) {
	b, _ := demoFS.ReadFile("demo.css")
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
}

// demoCorp is one demo corp on the index page.
type demoCorp struct {
	ID, Name, Admin string
	SNS             bool
}

// demoIndex is the data of the index page.
type demoIndex struct {
	Issuer, SimURL, WorkspaceEntry string
	LoggedIn                       string
	DevClient                      bool
	Corps                          []demoCorp
}

func (d *demoRP) index(w http.ResponseWriter, r *http.Request) {
	data := demoIndex{
		Issuer: d.cfg.issuer, SimURL: d.cfg.simURL,
		WorkspaceEntry: d.cfg.issuer + "/dingtalk/start/" + d.cfg.clientID + "?corpId=" + url.QueryEscape(dingtalktest.DemoCorpID),
	}
	if s := d.session(r); s != nil {
		data.LoggedIn = s.name
	}
	if c, err := r.Cookie(login.DevClientCookie); err == nil && c.Value == "dingtalk" {
		data.DevClient = true
	}
	dir := d.cfg.sim.Directory()
	for _, c := range dir.Corps {
		dc := demoCorp{ID: c.CorpID, Name: c.Name, SNS: c.CorpID == dingtalktest.DemoCorp2ID}
		if u, ok := corpAdmin(dir, c.CorpID); ok {
			dc.Admin = u.Name
		}
		data.Corps = append(data.Corps, dc)
	}
	d.render(w, http.StatusOK, "index", data)
}

// corpAdmin returns the first active administrator of a corp.
func corpAdmin(dir dingtalktest.Directory, corpID string) (dingtalktest.User, bool) {
	for _, u := range dir.Users {
		if u.CorpID == corpID && u.Admin && !u.Inactive {
			return u, true
		}
	}
	return dingtalktest.User{}, false
}

func randomValue() string {
	return base64.RawURLEncoding.EncodeToString(securecookie.GenerateRandomKey(24))
}

// start begins an authorization request; corp_id, login_hint and prompt
// are passed on.
func (d *demoRP) start(w http.ResponseWriter, r *http.Request) {
	d.authorize(w, r, r.URL.Query())
}

// initiated is the initiate_login_uri (OIDC Core §4): the bridge sends the
// browser here with iss after an admin-console or workspace entry.
func (d *demoRP) initiated(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("iss") != d.cfg.issuer {
		d.fail(w, http.StatusBadRequest, "Unexpected issuer", fmt.Errorf("iss %q is not %s", q.Get("iss"), d.cfg.issuer))
		return
	}
	d.authorize(w, r, url.Values{"login_hint": q["login_hint"]})
}

func (d *demoRP) authorize(w http.ResponseWriter, r *http.Request, q url.Values) {
	p, err := d.provider(r.Context())
	if err != nil {
		d.fail(w, http.StatusBadGateway, "The bridge does not answer", err)
		return
	}
	pend := demoPending{State: randomValue(), Nonce: randomValue(), Verifier: oauth2.GenerateVerifier()}
	enc, err := d.cookies.Encode(demoAuthCookie, pend)
	if err != nil {
		d.fail(w, http.StatusInternalServerError, "Cookie", err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: demoAuthCookie, Value: enc, Path: "/demo/", MaxAge: 600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode})
	opts := []oauth2.AuthCodeOption{oidc.Nonce(pend.Nonce), oauth2.S256ChallengeOption(pend.Verifier)}
	for _, k := range []string{"corp_id", "login_hint", "prompt"} {
		if v := q.Get(k); v != "" {
			opts = append(opts, oauth2.SetAuthURLParam(k, v))
		}
	}
	conf := d.oauth2Config(p)
	http.Redirect(w, r, conf.AuthCodeURL(pend.State, opts...), http.StatusFound)
}

// demoResult is the data of the page showing what the bridge issued.
type demoResult struct {
	Title                         string
	Error, ErrorDescription       string
	Header, Claims, UserInfo, Raw string
	Expiry, Scope                 string
	HasRefresh                    bool
}

func (d *demoRP) callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	var pend demoPending
	c, err := r.Cookie(demoAuthCookie)
	if err == nil {
		err = d.cookies.Decode(demoAuthCookie, c.Value, &pend)
	}
	http.SetCookie(w, &http.Cookie{Name: demoAuthCookie, Path: "/demo/", MaxAge: -1})
	if err != nil || subtle.ConstantTimeCompare([]byte(pend.State), []byte(q.Get("state"))) != 1 {
		d.fail(w, http.StatusBadRequest, "Unknown state", errors.New("this answer does not belong to a login started in this browser; start again from the demo page"))
		return
	}
	if iss := q.Get("iss"); iss != "" && iss != d.cfg.issuer {
		d.fail(w, http.StatusBadRequest, "Unexpected issuer", fmt.Errorf("iss %q is not %s", iss, d.cfg.issuer))
		return
	}
	if e := q.Get("error"); e != "" {
		d.render(w, http.StatusOK, "result", demoResult{Title: "The bridge answered with an error", Error: e, ErrorDescription: q.Get("error_description")})
		return
	}
	p, err := d.provider(ctx)
	if err != nil {
		d.fail(w, http.StatusBadGateway, "The bridge does not answer", err)
		return
	}
	conf := d.oauth2Config(p)
	tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pend.Verifier))
	if err != nil {
		d.fail(w, http.StatusBadGateway, "Code exchange failed", err)
		return
	}
	res, s, err := d.describe(ctx, p, tok, pend.Nonce)
	if err != nil {
		d.fail(w, http.StatusBadGateway, "The tokens do not verify", err)
		return
	}
	sid := randomValue()
	d.mu.Lock()
	d.sessions[sid] = s
	d.mu.Unlock()
	if enc, err := d.cookies.Encode(demoSessionCookie, sid); err == nil {
		http.SetCookie(w, &http.Cookie{Name: demoSessionCookie, Value: enc, Path: "/demo/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	res.Title = "Logged in"
	d.render(w, http.StatusOK, "result", res)
}

// describe verifies the ID token of tok (and its nonce, when one is
// expected), reads userinfo, and returns what the result page shows.
func (d *demoRP) describe(ctx context.Context, p *oidc.Provider, tok *oauth2.Token, nonce string) (demoResult, *demoSession, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return demoResult{}, nil, errors.New("no id_token in the token response")
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: d.cfg.clientID}).Verify(ctx, raw)
	if err != nil {
		return demoResult{}, nil, err
	}
	if nonce != "" && subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return demoResult{}, nil, errors.New("nonce mismatch")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return demoResult{}, nil, err
	}
	res := demoResult{Header: jwtHeader(raw), Claims: pretty(claims), HasRefresh: tok.RefreshToken != ""}
	res.Scope, _ = tok.Extra("scope").(string)
	if !tok.Expiry.IsZero() {
		res.Expiry = tok.Expiry.Format(time.RFC3339)
	}
	name, _ := claims["name"].(string)
	if ui, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err != nil {
		res.UserInfo = "userinfo failed: " + err.Error()
	} else {
		var m map[string]any
		if err := ui.Claims(&m); err == nil {
			res.UserInfo = pretty(m)
			if n, ok := m["name"].(string); ok {
				name = n
			}
		}
	}
	return res, &demoSession{idToken: raw, token: tok, name: cmp.Or(name, idt.Subject)}, nil
}

// jwtHeader decodes a JWT's header for display.
func jwtHeader(raw string) string {
	h, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return "(undecodable)"
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return string(b)
	}
	return pretty(m)
}

func pretty(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// session returns the browser's demo session, if any.
func (d *demoRP) session(r *http.Request) *demoSession {
	sid := d.sessionID(r)
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sessions[sid]
}

func (d *demoRP) sessionID(r *http.Request) string {
	c, err := r.Cookie(demoSessionCookie)
	if err != nil {
		return ""
	}
	var sid string
	if d.cookies.Decode(demoSessionCookie, c.Value, &sid) != nil {
		return ""
	}
	return sid
}

// refresh runs the refresh grant and shows the new tokens.
func (d *demoRP) refresh(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s := d.session(r)
	if s == nil || s.token.RefreshToken == "" {
		d.fail(w, http.StatusBadRequest, "Nothing to refresh", errors.New("log in first (the demo asks for offline_access)"))
		return
	}
	p, err := d.provider(ctx)
	if err != nil {
		d.fail(w, http.StatusBadGateway, "The bridge does not answer", err)
		return
	}
	conf := d.oauth2Config(p)
	tok, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: s.token.RefreshToken}).Token()
	if err != nil {
		d.fail(w, http.StatusBadGateway, "Refresh failed", err)
		return
	}
	res, ns, err := d.describe(ctx, p, tok, "")
	if err != nil {
		d.fail(w, http.StatusBadGateway, "The refreshed tokens do not verify", err)
		return
	}
	d.mu.Lock()
	*s = *ns
	d.mu.Unlock()
	res.Title = "Refreshed"
	d.render(w, http.StatusOK, "result", res)
}

// logout ends the demo session and sends the browser to the bridge's
// end_session endpoint with id_token_hint and post_logout_redirect_uri.
func (d *demoRP) logout(w http.ResponseWriter, r *http.Request) {
	sid := d.sessionID(r)
	d.mu.Lock()
	s := d.sessions[sid]
	delete(d.sessions, sid)
	d.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: demoSessionCookie, Path: "/demo/", MaxAge: -1})
	p, err := d.provider(r.Context())
	if err != nil {
		d.fail(w, http.StatusBadGateway, "The bridge does not answer", err)
		return
	}
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := p.Claims(&meta); err != nil || meta.EndSession == "" {
		d.fail(w, http.StatusBadGateway, "No end_session_endpoint", errors.New("discovery has no end_session_endpoint"))
		return
	}
	q := url.Values{"post_logout_redirect_uri": {d.origin + "/demo/"}, "client_id": {d.cfg.clientID}}
	if s != nil {
		q.Set("id_token_hint", s.idToken)
	}
	http.Redirect(w, r, meta.EndSession+"?"+q.Encode(), http.StatusFound)
}
