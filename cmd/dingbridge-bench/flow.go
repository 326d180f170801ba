package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// endpoints are the provider's OpenID Connect endpoints, from discovery.
type endpoints struct {
	Authorization string `json:"authorization_endpoint"`
	Token         string `json:"token_endpoint"`
	UserInfo      string `json:"userinfo_endpoint"`
	Introspection string `json:"introspection_endpoint"`
}

// discover reads issuer's discovery document.
func discover(ctx context.Context, c *http.Client, issuer string) (endpoints, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, issuer+"/.well-known/openid-configuration", nil)
	if err != nil {
		return endpoints{}, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return endpoints{}, fmt.Errorf("discovery: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return endpoints{}, fmt.Errorf("discovery: status %d", resp.StatusCode)
	}
	var e endpoints
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		return endpoints{}, fmt.Errorf("discovery: %w", err)
	}
	for _, u := range []string{e.Authorization, e.Token, e.UserInfo} {
		if err := checkLoopbackURL(u); err != nil {
			return endpoints{}, fmt.Errorf("discovery: %w", err)
		}
	}
	return e, nil
}

// checkLoopbackURL refuses URLs that leave the machine.
func checkLoopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("url %q: %w", raw, err)
	}
	hp := u.Host
	if u.Port() == "" {
		hp = net.JoinHostPort(u.Hostname(), "80")
	}
	return requireLoopback(hp)
}

// client is what every virtual user shares: the target's endpoints and
// the client registration.
type client struct {
	kind         string // "dingbridge" or "dex"
	ep           endpoints
	id, secret   string
	redirectURI  string
	scope        string
	users        int    // people to log in as, round robin (dingbridge)
	corpID       string // their corp
	requireOIDC  bool   // an ID token is expected
	wantRefresh  bool   // a refresh token is expected
	timeoutAfter time.Duration
}

// stepError is a failed step; kind groups errors in the report.
type stepError struct {
	step, kind string
}

func (e *stepError) Error() string { return e.step + ": " + e.kind }

func fail(step, format string, args ...any) error {
	return &stepError{step: step, kind: fmt.Sprintf(format, args...)}
}

// errorKind names err for the report without any secret: the step and a
// short reason.
func errorKind(err error) string {
	var se *stepError
	if errors.As(err, &se) {
		return se.Error()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	if errors.Is(err, context.Canceled) {
		return "cancelled"
	}
	return "transport"
}

// tokens is a token endpoint answer.
type tokens struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token"`
	Error        string `json:"error"`
}

// browser is one person's browser: a fresh cookie jar per login, no
// automatic redirects (each hop is timed within its step).
type browser struct {
	c *http.Client
}

func newBrowser(cl *client, rt http.RoundTripper) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{c: &http.Client{
		Transport:     rt,
		Jar:           jar,
		Timeout:       cl.timeoutAfter,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// do sends req and reads the whole body (so the connection is reused).
func (b *browser) do(req *http.Request) (*http.Response, []byte, error) {
	resp, err := b.c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return resp, body, err
}

func (b *browser) get(ctx context.Context, u string) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	return b.do(req)
}

// follow GETs u and its redirects until an answer that is not a redirect,
// or a redirect to a URL starting with stop (returned as the location).
func (b *browser) follow(ctx context.Context, step, u, stop string) (resp *http.Response, body []byte, location string, err error) {
	for range 10 {
		if resp, body, err = b.get(ctx, u); err != nil {
			return nil, nil, "", err
		}
		if resp.StatusCode < 300 || resp.StatusCode > 399 {
			return resp, body, "", nil
		}
		next, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
		if err != nil {
			return nil, nil, "", fail(step, "bad Location")
		}
		if stop != "" && strings.HasPrefix(next.String(), stop) {
			return resp, body, next.String(), nil
		}
		if err := checkLoopbackURL(next.String()); err != nil {
			return nil, nil, "", fail(step, "redirect off loopback")
		}
		u = next.String()
	}
	return nil, nil, "", fail(step, "too many redirects")
}

// qrLink is the QR page's link to DingTalk's own login page.
var qrLink = regexp.MustCompile(`<a class="button" href="([^"]*)"`)

// authorizeURL starts a login with state, nonce and a PKCE S256 challenge.
func (cl *client) authorizeURL() (u, state, verifier string) {
	state, nonce, verifier := random(), random(), random()+random()
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"client_id": {cl.id}, "redirect_uri": {cl.redirectURI}, "response_type": {"code"},
		"scope": {cl.scope}, "state": {state}, "nonce": {nonce},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
	}
	return cl.ep.Authorization + "?" + q.Encode(), state, verifier
}

// login runs one complete browser login of person n over the user's
// transport rt and redeems the code: the steps are recorded in rec, the
// tokens returned.
func (cl *client) login(ctx context.Context, rt http.RoundTripper, n int, rec *recorder) (tokens, error) {
	b := newBrowser(cl, rt)
	start := time.Now()
	authURL, state, verifier := cl.authorizeURL()
	var loc string
	var err error
	if cl.kind == "dex" {
		loc, err = cl.dexLogin(ctx, b, authURL, rec)
	} else {
		loc, err = cl.bridgeLogin(ctx, b, authURL, n, rec)
	}
	if err != nil {
		return tokens{}, err
	}
	back, err := url.Parse(loc)
	if err != nil {
		return tokens{}, fail("callback", "bad redirect")
	}
	q := back.Query()
	if e := q.Get("error"); e != "" {
		return tokens{}, fail("callback", "redirect error=%s", e)
	}
	if q.Get("state") != state || q.Get("code") == "" {
		return tokens{}, fail("callback", "state or code missing")
	}
	t0 := time.Now()
	tok, err := cl.token(ctx, b.c, "token", url.Values{
		"grant_type": {"authorization_code"}, "code": {q.Get("code")},
		"redirect_uri": {cl.redirectURI}, "code_verifier": {verifier},
	})
	if err != nil {
		return tokens{}, err
	}
	rec.add("token", time.Since(t0))
	if cl.requireOIDC && strings.Count(tok.IDToken, ".") != 2 {
		return tokens{}, fail("token", "no id_token")
	}
	if cl.wantRefresh && tok.RefreshToken == "" {
		return tokens{}, fail("token", "no refresh_token")
	}
	t0 = time.Now()
	if err := cl.userinfo(ctx, b.c, tok.AccessToken); err != nil {
		return tokens{}, err
	}
	rec.add("userinfo", time.Since(t0))
	rec.add("flow", time.Since(start))
	return tok, nil
}

// bridgeLogin is dingbridge's browser login up to the redirect back to the
// client: /authorize → /login (QR page) → the simulator's login form →
// /login/dingtalk/callback → /authorize/callback → redirect_uri.
func (cl *client) bridgeLogin(ctx context.Context, b *browser, authURL string, n int, rec *recorder) (string, error) {
	t0 := time.Now()
	resp, body, _, err := b.follow(ctx, "authorize", authURL, cl.redirectURI)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fail("authorize", "status %d", resp.StatusCode)
	}
	m := qrLink.FindSubmatch(body)
	if m == nil {
		return "", fail("authorize", "no QR page")
	}
	dt, err := resp.Request.URL.Parse(html.UnescapeString(string(m[1])))
	if err != nil || checkLoopbackURL(dt.String()) != nil {
		return "", fail("authorize", "bad DingTalk link")
	}
	rec.add("authorize", time.Since(t0))

	// The simulator's login page posts its query back with the picked
	// member; posting it directly is what a person's click sends.
	t0 = time.Now()
	form := dt.Query()
	form.Set("user", cl.corpID+":"+benchUserID(n%cl.users))
	action := *dt
	action.RawQuery = ""
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, action.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, _, err = b.do(req)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
		return "", fail("dingtalk", "status %d", resp.StatusCode)
	}
	cb, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
	if err != nil || checkLoopbackURL(cb.String()) != nil {
		return "", fail("dingtalk", "bad callback")
	}
	rec.add("dingtalk", time.Since(t0))

	t0 = time.Now()
	resp, _, loc, err := b.follow(ctx, "callback", cb.String(), cl.redirectURI)
	if err != nil {
		return "", err
	}
	if loc == "" {
		return "", fail("callback", "status %d", resp.StatusCode)
	}
	rec.add("callback", time.Since(t0))
	return loc, nil
}

// dexLogin is Dex's browser login with the mockCallback connector: /auth
// → the connector → /callback → (approval skipped) → redirect_uri.
func (cl *client) dexLogin(ctx context.Context, b *browser, authURL string, rec *recorder) (string, error) {
	t0 := time.Now()
	resp, _, loc, err := b.follow(ctx, "login", authURL, cl.redirectURI)
	if err != nil {
		return "", err
	}
	if loc == "" {
		return "", fail("login", "status %d", resp.StatusCode)
	}
	rec.add("login", time.Since(t0))
	return loc, nil
}

// token posts a grant with client_secret_basic.
func (cl *client) token(ctx context.Context, c *http.Client, step string, form url.Values) (tokens, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cl.ep.Token, strings.NewReader(form.Encode()))
	if err != nil {
		return tokens{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(cl.id), url.QueryEscape(cl.secret))
	resp, err := c.Do(req)
	if err != nil {
		return tokens{}, err
	}
	defer resp.Body.Close()
	var t tokens
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&t); err != nil {
		return tokens{}, fail(step, "status %d, not JSON", resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK || t.AccessToken == "" {
		return tokens{}, fail(step, "status %d %s", resp.StatusCode, t.Error)
	}
	return t, nil
}

// userinfo reads the userinfo endpoint with an access token.
func (cl *client) userinfo(ctx context.Context, c *http.Client, accessToken string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cl.ep.UserInfo, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var claims struct {
		Sub string `json:"sub"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&claims); err != nil || resp.StatusCode != http.StatusOK {
		return fail("userinfo", "status %d", resp.StatusCode)
	}
	if claims.Sub == "" {
		return fail("userinfo", "no sub")
	}
	return nil
}

// introspect asks about an access token; it must be active.
func (cl *client) introspect(ctx context.Context, c *http.Client, accessToken string) error {
	form := url.Values{"token": {accessToken}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cl.ep.Introspection, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(cl.id), url.QueryEscape(cl.secret))
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var r struct {
		Active bool `json:"active"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&r); err != nil || resp.StatusCode != http.StatusOK {
		return fail("introspect", "status %d", resp.StatusCode)
	}
	if !r.Active {
		return fail("introspect", "inactive")
	}
	return nil
}

// random is 128 bits, base64url.
func random() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
