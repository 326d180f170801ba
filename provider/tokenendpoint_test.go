package provider

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dingbridge/dingbridge/storage"
)

// rawPost posts form to an endpoint under the issuer with the given
// method, basic credentials when user is set, and returns the response
// with its JSON body decoded (nil when empty).
func (e *env) rawPost(t *testing.T, method, path, user, pass string, form url.Values) (*http.Response, map[string]any) {
	t.Helper()
	var body io.Reader
	target := e.issuer + path
	if method == http.MethodGet {
		target += "?" + form.Encode()
	} else {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(t.Context(), method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(strings.TrimSpace(string(raw))) > 0 {
		_ = json.Unmarshal(raw, &out)
	}
	return resp, out
}

// TestTokenResponsesNotCached checks RFC 6749 section 5.1: every token
// endpoint answer carries Cache-Control: no-store and Pragma: no-cache —
// the code, refresh and client credentials grants, and errors.
func TestTokenResponsesNotCached(t *testing.T) {
	e := newEnv(t, newSQLite(t))
	c := e.addClient("web", nil)
	svc := e.addClient("svc", func(c *storage.Client) {
		c.GrantTypes = []string{grantClientCredentials}
		c.RedirectURIs, c.PostLogoutRedirectURIs = nil, nil
	})
	check := func(what string, resp *http.Response, body map[string]any, wantStatus int) {
		t.Helper()
		if resp.StatusCode != wantStatus {
			t.Errorf("%s: status %d %v, want %d", what, resp.StatusCode, body, wantStatus)
		}
		if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Pragma") != "no-cache" {
			t.Errorf("%s: Cache-Control %q, Pragma %q, want no-store and no-cache", what,
				resp.Header.Get("Cache-Control"), resp.Header.Get("Pragma"))
		}
	}

	code, verifier := e.codeFor(t, c)
	resp, tok := e.rawPost(t, http.MethodPost, "/oauth/token", c.ID, c.secret, url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {c.RedirectURIs[0]}, "code_verifier": {verifier},
	})
	check("authorization_code", resp, tok, http.StatusOK)
	refresh, _ := tok["refresh_token"].(string)
	resp, body := e.rawPost(t, http.MethodPost, "/oauth/token", c.ID, c.secret, url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {refresh},
	})
	check("refresh_token", resp, body, http.StatusOK)
	resp, body = e.rawPost(t, http.MethodPost, "/oauth/token", svc.ID, svc.secret, url.Values{"grant_type": {"client_credentials"}})
	check("client_credentials", resp, body, http.StatusOK)
	resp, body = e.rawPost(t, http.MethodPost, "/oauth/token", c.ID, c.secret, url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {c.RedirectURIs[0]}, "code_verifier": {verifier},
	})
	check("replayed code", resp, body, http.StatusBadRequest)
}

// TestTokenEndpointsPostOnly checks that the token, introspection and
// revocation endpoints take requests only by POST (RFC 6749 section 3.2,
// RFC 7662, RFC 7009): a GET would carry the client secret and the code
// or token in the URL, where logs and proxies keep them. CORS preflight
// still works.
func TestTokenEndpointsPostOnly(t *testing.T) {
	e := newEnv(t, newSQLite(t))
	c := e.addClient("web", nil)
	code, verifier := e.codeFor(t, c)
	form := url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {c.RedirectURIs[0]},
		"code_verifier": {verifier}, "client_id": {c.ID}, "client_secret": {c.secret},
	}
	for _, path := range []string{"/oauth/token", "/oauth/introspect", "/oauth/revoke"} {
		for _, method := range []string{http.MethodGet, http.MethodPut} {
			resp, body := e.rawPost(t, method, path, "", "", form)
			if resp.StatusCode != http.StatusMethodNotAllowed || body["access_token"] != nil {
				t.Errorf("%s %s: %d %v, want 405", method, path, resp.StatusCode, body)
			}
		}
	}
	// The code was not consumed by the refused requests.
	resp, body := e.rawPost(t, http.MethodPost, "/oauth/token", "", "", form)
	if resp.StatusCode != http.StatusOK || body["access_token"] == nil {
		t.Errorf("POST after refused GETs: %d %v", resp.StatusCode, body)
	}

	req, err := http.NewRequestWithContext(t.Context(), http.MethodOptions, e.issuer+"/oauth/token", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", "https://spa.example")
	req.Header.Set("Access-Control-Request-Method", http.MethodPost)
	pre, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	pre.Body.Close()
	if pre.StatusCode >= 300 || pre.Header.Get("Access-Control-Allow-Origin") == "" {
		t.Errorf("CORS preflight: %d %v", pre.StatusCode, pre.Header)
	}
}

// TestAuthenticationChallenges checks the WWW-Authenticate challenges: a
// client that failed HTTP Basic authentication gets 401 with a Basic
// challenge (RFC 6749 section 5.2), and userinfo answers a bad, revoked
// or expired access token with 401 invalid_token and a Bearer challenge,
// and a token without openid with 403 insufficient_scope (RFC 6750
// section 3.1, OpenID Connect Core 5.3.3).
func TestAuthenticationChallenges(t *testing.T) {
	e := newEnv(t, newSQLite(t))
	c := e.addClient("web", nil)
	svc := e.addClient("svc", func(c *storage.Client) {
		c.GrantTypes = []string{grantClientCredentials}
		c.RedirectURIs, c.PostLogoutRedirectURIs = nil, nil
	})
	for _, path := range []string{"/oauth/token", "/oauth/introspect", "/oauth/revoke"} {
		resp, body := e.rawPost(t, http.MethodPost, path, c.ID, "wrong-secret", url.Values{
			"grant_type": {"client_credentials"}, "token": {"x"},
		})
		if resp.StatusCode != http.StatusUnauthorized || body["error"] != "invalid_client" ||
			!strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
			t.Errorf("%s with a wrong secret: %d %v WWW-Authenticate %q, want 401 invalid_client with a Basic challenge",
				path, resp.StatusCode, body, resp.Header.Get("WWW-Authenticate"))
		}
	}

	userinfo := func(what, token string, wantStatus int, wantErr string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.issuer+"/userinfo", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		challenge := resp.Header.Get("WWW-Authenticate")
		if resp.StatusCode != wantStatus || !strings.HasPrefix(challenge, "Bearer ") ||
			!strings.Contains(challenge, `error="`+wantErr+`"`) {
			t.Errorf("userinfo with %s: %d WWW-Authenticate %q, want %d with error=%q", what, resp.StatusCode, challenge, wantStatus, wantErr)
		}
	}
	userinfo("garbage", "garbage", http.StatusUnauthorized, "invalid_token")

	code, verifier := e.codeFor(t, c)
	_, tok := e.rawPost(t, http.MethodPost, "/oauth/token", c.ID, c.secret, url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {c.RedirectURIs[0]}, "code_verifier": {verifier},
	})
	access, _ := tok["access_token"].(string)
	if resp, _ := e.rawPost(t, http.MethodPost, "/oauth/revoke", c.ID, c.secret, url.Values{
		"token": {access}, "token_type_hint": {"access_token"},
	}); resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	userinfo("a revoked token", access, http.StatusUnauthorized, "invalid_token")

	_, cc := e.rawPost(t, http.MethodPost, "/oauth/token", svc.ID, svc.secret, url.Values{"grant_type": {"client_credentials"}})
	serviceToken, _ := cc["access_token"].(string)
	userinfo("a token without openid", serviceToken, http.StatusForbidden, "insufficient_scope")
}
