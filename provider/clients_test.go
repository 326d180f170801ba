package provider

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dingbridge/dingbridge/storage"
)

func TestValidateClient(t *testing.T) {
	_, hash, err := GenerateClientSecret()
	if err != nil {
		t.Fatal(err)
	}
	good := storage.Client{
		ID: "app", ApplicationType: "web", SecretHash: hash,
		RedirectURIs: []string{"https://app.example/cb", "http://127.0.0.1:8080/cb"},
		GrantTypes:   []string{"authorization_code", "refresh_token"},
	}
	tests := []struct {
		name string
		edit func(*storage.Client)
		want string // substring of the error; "" means valid
	}{
		{"valid", func(*storage.Client) {}, ""},
		{"native custom scheme", func(c *storage.Client) {
			c.ApplicationType, c.Public, c.SecretHash = "native", true, nil
			c.RedirectURIs = []string{"com.example.app:/cb"}
		}, ""},
		{"http non-loopback", func(c *storage.Client) { c.RedirectURIs = []string{"http://app.example/cb"} }, "http is only allowed"},
		{"relative", func(c *storage.Client) { c.RedirectURIs = []string{"/cb"} }, "absolute"},
		{"fragment", func(c *storage.Client) { c.RedirectURIs = []string{"https://app.example/cb#x"} }, "fragment"},
		{"custom scheme on web", func(c *storage.Client) { c.RedirectURIs = []string{"app:/cb"} }, "native"},
		{"unknown grant", func(c *storage.Client) { c.GrantTypes = []string{"password"} }, "unknown grant type"},
		{"public with secret", func(c *storage.Client) { c.ApplicationType, c.Public = "user_agent", true }, "must not have a secret"},
		{"confidential without secret", func(c *storage.Client) { c.SecretHash = nil }, "secret hash"},
		{"public client credentials", func(c *storage.Client) {
			c.ApplicationType, c.Public, c.SecretHash = "native", true, nil
			c.GrantTypes = []string{"client_credentials"}
		}, "confidential"},
		{"bad format", func(c *storage.Client) { c.AccessTokenFormat = "paseto" }, "access_token_format"},
		{"bad post logout", func(c *storage.Client) { c.PostLogoutRedirectURIs = []string{"http://evil.example/"} }, "post_logout_redirect_uris"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			c.RedirectURIs = append([]string(nil), good.RedirectURIs...)
			tt.edit(&c)
			err := ValidateClient(c)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("ValidateClient() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("ValidateClient() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestGenerateClientSecret(t *testing.T) {
	s1, h1, _ := GenerateClientSecret()
	s2, _, _ := GenerateClientSecret()
	if len(s1) < 43 || s1 == s2 {
		t.Errorf("secrets %q, %q: want ≥ 256 random bits", s1, s2)
	}
	if !bytes.Equal(h1, HashClientSecret(s1)) || len(h1) != 32 {
		t.Error("hash is not the SHA-256 of the secret")
	}
	if !secretMatches(storage.Client{SecretHash: h1}, s1) || secretMatches(storage.Client{SecretHash: h1}, s2) {
		t.Error("secretMatches disagrees with the hash")
	}
}

func TestNoAuthenticator(t *testing.T) {
	e := newEnv(t, newSQLite(t), func(c *Config) { c.Authenticator = nil })
	c := e.addClient("web", nil)
	resp := visit(t, newBrowser(t), e.authorizeURL(c, url.Values{"ui_locales": {"en"}}))
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "No sign-in method") {
		t.Errorf("got %d:\n%s", resp.StatusCode, body)
	}
	if resp.Header.Get("Content-Security-Policy") == "" {
		t.Error("page served without CSP")
	}
}

func TestRequestID(t *testing.T) {
	e := newEnv(t, newSQLite(t))
	for _, tt := range []struct{ sent, want string }{{"abc-123", "abc-123"}, {"bad id<script>", ""}, {strings.Repeat("a", 65), ""}} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, e.issuer+"/.well-known/openid-configuration", nil)
		req.Header.Set("X-Request-Id", tt.sent)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := resp.Header.Get("X-Request-Id")
		if (tt.want != "" && got != tt.want) || (tt.want == "" && (got == "" || got == tt.sent)) {
			t.Errorf("X-Request-Id %q echoed as %q", tt.sent, got)
		}
	}
}

func TestIDTokenHintMismatch(t *testing.T) {
	e := newEnv(t, newSQLite(t))
	c := e.addClient("web", nil)
	b := newBrowser(t)
	q := e.login(t, b, c, nil)
	_, tok := e.exchange(t, c, true, q.Get("code"), "")
	hint, _ := tok["id_token"].(string)

	// The hint of the session's own user passes with prompt=none.
	q = e.login(t, b, c, url.Values{"prompt": {"none"}, "id_token_hint": {hint}})
	if q.Get("code") == "" {
		t.Fatalf("prompt=none with matching hint: %v", q)
	}
	// Another person logs in in a second browser; their hint does not match
	// the first browser's session.
	e.auth.identity = storage.Identity{CorpID: "ding-corp-1", UserID: "user-2", Profile: storage.Profile{Name: "Bob"}}
	q = e.login(t, newBrowser(t), c, nil)
	_, tok = e.exchange(t, c, true, q.Get("code"), "")
	other, _ := tok["id_token"].(string)
	q = e.login(t, b, c, url.Values{"prompt": {"none"}, "id_token_hint": {other}, "state": {"h"}})
	if q.Get("error") != "login_required" || q.Get("state") != "h" {
		t.Errorf("prompt=none with another user's hint: %v", q)
	}
}

func TestReady(t *testing.T) {
	e := newEnv(t, newSQLite(t))
	if err := e.p.Ready(t.Context()); err != nil {
		t.Errorf("Ready() = %v", err)
	}
	_ = e.store.Storage.Close()
	if err := e.p.Ready(context.Background()); err == nil {
		t.Error("Ready() = nil with a closed store")
	}
}
