package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/dingbridge/dingbridge/dingtalk"
	"github.com/dingbridge/dingbridge/storage"
)

// stubExchanger resolves one known code to an identity; other codes give
// err (or KindCodeInvalid).
type stubExchanger struct {
	mu       sync.Mutex
	code     string
	identity storage.Identity
	err      error
	got      []CodeExchange
}

func (x *stubExchanger) ExchangeDingTalkCode(_ context.Context, c CodeExchange) (Finish, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.got = append(x.got, c)
	if x.err != nil {
		return Finish{}, x.err
	}
	if c.Code != x.code {
		return Finish{}, fmt.Errorf("resolve code: %w", dingtalk.KindCodeInvalid)
	}
	id := x.identity
	return Finish{Identity: &id, AMR: []string{"mini_program"}, CorpID: id.CorpID}, nil
}

func (x *stubExchanger) last() CodeExchange {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.got[len(x.got)-1]
}

func exchangeForm(code, scope string) url.Values {
	return url.Values{
		"grant_type":         {grantTokenExchange},
		"subject_token":      {code},
		"subject_token_type": {TokenTypeDingTalkAuthCode},
		"corp_id":            {"ding-corp-1"},
		"scope":              {scope},
	}
}

func TestTokenExchange(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { testTokenExchange(t, b.open(t)) })
	}
}

func testTokenExchange(t *testing.T, s storage.Storage) {
	x := &stubExchanger{code: "dd-code-1"}
	e := newEnv(t, s, func(c *Config) { c.CodeExchanger = x })
	x.identity = e.auth.identity
	x.identity.Profile.JobNumber = "E007"
	mini := e.addClient("mini", func(c *storage.Client) {
		c.GrantTypes = []string{grantTokenExchange, grantRefreshToken}
		c.RedirectURIs, c.PostLogoutRedirectURIs = nil, nil
		c.Policy.AllowedCorps = []string{"ding-corp-1"}
	})
	public := e.addClient("mini-public", func(c *storage.Client) {
		c.Public, c.ApplicationType = true, "native"
		c.GrantTypes = []string{grantTokenExchange}
		c.RedirectURIs, c.PostLogoutRedirectURIs = nil, nil
	})
	web := e.addClient("web", nil)
	ctx := oidc.ClientContext(t.Context(), http.DefaultClient)
	provider, err := oidc.NewProvider(ctx, e.issuer)
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Grants []string `json:"grant_types_supported"`
	}
	if err := provider.Claims(&meta); err != nil || !slices.Contains(meta.Grants, grantTokenExchange) {
		t.Errorf("discovery grant_types_supported = %v (%v), want the token exchange grant", meta.Grants, err)
	}

	// A confidential client with basic auth.
	status, tok := e.post(t, "/oauth/token", mini, true, exchangeForm("dd-code-1", "openid profile offline_access"))
	if status != http.StatusOK {
		t.Fatalf("exchange: %d %v", status, tok)
	}
	if got := x.last(); got.ClientID != mini.ID || got.CorpID != "ding-corp-1" || got.Code != "dd-code-1" ||
		!slices.Equal(got.Policy.AllowedCorps, []string{"ding-corp-1"}) {
		t.Errorf("CodeExchange = %+v", got)
	}
	if tok["issued_token_type"] != "urn:ietf:params:oauth:token-type:access_token" || tok["token_type"] != "Bearer" ||
		tok["access_token"] == nil || tok["refresh_token"] == nil || tok["session_state"] == nil {
		t.Fatalf("token response = %v", tok)
	}
	idt, err := provider.Verifier(&oidc.Config{ClientID: mini.ID}).Verify(ctx, tok["id_token"].(string))
	if err != nil {
		t.Fatalf("verify id token: %v", err)
	}
	var claims struct {
		SID string   `json:"sid"`
		AMR []string `json:"amr"`
	}
	if err := idt.Claims(&claims); err != nil || claims.SID != tok["session_state"] || !slices.Equal(claims.AMR, []string{"mini_program"}) {
		t.Errorf("id token claims = %+v (%v), want sid = session_state", claims, err)
	}
	if err := idt.VerifyAccessToken(tok["access_token"].(string)); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	if _, err := e.store.GetSession(t.Context(), claims.SID, e.clock.Now()); err != nil {
		t.Errorf("session of the exchange: %v", err)
	}
	info := userinfo(t, e, tok["access_token"].(string))
	if info["sub"] != idt.Subject || info["name"] != "Ada" || info["preferred_username"] != "E007" {
		t.Errorf("userinfo = %v", info)
	}
	status, refreshed := e.post(t, "/oauth/token", mini, false, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}})
	if status != http.StatusOK || refreshed["access_token"] == nil {
		t.Errorf("refresh: %d %v", status, refreshed)
	}

	// A public client sends its client_id only; without the refresh grant
	// offline_access is dropped.
	x.code = "dd-code-2"
	status, tok = e.post(t, "/oauth/token", public, false, exchangeForm("dd-code-2", "openid offline_access"))
	if status != http.StatusOK || tok["id_token"] == nil || tok["refresh_token"] != nil {
		t.Errorf("public exchange: %d %v", status, tok)
	}
	pubID, err := provider.Verifier(&oidc.Config{ClientID: public.ID}).Verify(ctx, tok["id_token"].(string))
	if err != nil || pubID.Subject != idt.Subject {
		t.Errorf("public client id token: %v, sub %v want %s (same person, same sub)", err, pubID, idt.Subject)
	}
	// Without openid no ID token.
	status, tok = e.post(t, "/oauth/token", public, false, exchangeForm("dd-code-2", "profile"))
	if status != http.StatusOK || tok["id_token"] != nil || tok["access_token"] == nil {
		t.Errorf("exchange without openid: %d %v", status, tok)
	}

	wrong := mini
	wrong.secret = "wrong"
	status, body := e.post(t, "/oauth/token", wrong, true, exchangeForm("dd-code-1", "openid"))
	wantOAuthError(t, "wrong secret", status, body, http.StatusUnauthorized, "invalid_client")
	withSecret := public
	withSecret.secret = "guess"
	status, body = e.post(t, "/oauth/token", withSecret, false, exchangeForm("dd-code-2", "openid"))
	wantOAuthError(t, "public client with a secret", status, body, http.StatusUnauthorized, "invalid_client")
	status, body = e.post(t, "/oauth/token", web, true, exchangeForm("dd-code-2", "openid"))
	wantOAuthError(t, "client without the grant", status, body, http.StatusBadRequest, "unauthorized_client")
	status, body = e.post(t, "/oauth/token", public, false, exchangeForm("replayed", "openid"))
	wantOAuthError(t, "invalid code", status, body, http.StatusBadRequest, "invalid_grant")
	form := exchangeForm("dd-code-2", "openid")
	form.Set("subject_token_type", "urn:ietf:params:oauth:token-type:access_token")
	status, body = e.post(t, "/oauth/token", public, false, form)
	wantOAuthError(t, "another subject token type", status, body, http.StatusBadRequest, "invalid_request")
	form = exchangeForm("", "openid")
	status, body = e.post(t, "/oauth/token", public, false, form)
	wantOAuthError(t, "no subject token", status, body, http.StatusBadRequest, "invalid_request")
	form = exchangeForm("dd-code-2", "openid")
	form.Set("audience", "someone-else")
	status, body = e.post(t, "/oauth/token", public, false, form)
	wantOAuthError(t, "foreign audience", status, body, http.StatusBadRequest, "invalid_target")

	// A person of a corp the client does not allow.
	x.code, x.identity.CorpID = "dd-code-3", "ding-corp-9"
	status, body = e.post(t, "/oauth/token", mini, true, exchangeForm("dd-code-3", "openid"))
	wantOAuthError(t, "corp not allowed", status, body, http.StatusBadRequest, "invalid_grant")
}

func TestTokenExchangeErrors(t *testing.T) {
	x := &stubExchanger{}
	e := newEnv(t, newSQLite(t), func(c *Config) { c.CodeExchanger = x })
	c := e.addClient("mini", func(c *storage.Client) {
		c.Public, c.ApplicationType = true, "native"
		c.GrantTypes = []string{grantTokenExchange}
		c.RedirectURIs, c.PostLogoutRedirectURIs = nil, nil
	})
	for _, tc := range []struct {
		err        error
		status     int
		oauthError string
	}{
		{fmt.Errorf("policy: %w", ErrRefused), http.StatusBadRequest, "invalid_grant"},
		{fmt.Errorf("e7: %w", dingtalk.KindCodeInvalid), http.StatusBadRequest, "invalid_grant"},
		{fmt.Errorf("e9: %w", dingtalk.KindNotMember), http.StatusBadRequest, "invalid_grant"},
		{fmt.Errorf("e8: %w", dingtalk.KindThrottled), http.StatusServiceUnavailable, "temporarily_unavailable"},
		{fmt.Errorf("e8: %w", dingtalk.KindTransient), http.StatusServiceUnavailable, "temporarily_unavailable"},
		{fmt.Errorf("e5: %w", dingtalk.KindBadCredentials), http.StatusInternalServerError, "server_error"},
		{errors.New("anything"), http.StatusInternalServerError, "server_error"},
	} {
		x.err = tc.err
		status, body := e.post(t, "/oauth/token", c, false, exchangeForm("code", "openid"))
		wantOAuthError(t, tc.err.Error(), status, body, tc.status, tc.oauthError)
	}

	// Set after New, the exchanger serves too.
	e.p.SetCodeExchanger(&stubExchanger{code: "late", identity: e.auth.identity})
	if status, body := e.post(t, "/oauth/token", c, false, exchangeForm("late", "openid")); status != http.StatusOK {
		t.Errorf("exchanger set after New: %d %v", status, body)
	}

	// Without a CodeExchanger the token type is not supported.
	e2 := newEnv(t, newSQLite(t))
	c2 := e2.addClient("mini", func(c *storage.Client) {
		c.Public, c.ApplicationType = true, "native"
		c.GrantTypes = []string{grantTokenExchange}
		c.RedirectURIs, c.PostLogoutRedirectURIs = nil, nil
	})
	status, body := e2.post(t, "/oauth/token", c2, false, exchangeForm("code", "openid"))
	wantOAuthError(t, "no exchanger", status, body, http.StatusBadRequest, "invalid_request")
}

// TestTokenExchangeJWTAccessToken checks the exchange for a client with
// JWT access tokens: the token verifies against the key set and works at
// userinfo.
func TestTokenExchangeJWTAccessToken(t *testing.T) {
	x := &stubExchanger{code: "c1"}
	e := newEnv(t, newSQLite(t), func(c *Config) { c.CodeExchanger = x })
	x.identity = e.auth.identity
	c := e.addClient("mini", func(c *storage.Client) {
		c.GrantTypes = []string{grantTokenExchange}
		c.RedirectURIs, c.PostLogoutRedirectURIs = nil, nil
		c.AccessTokenFormat = "jwt"
	})
	status, tok := e.post(t, "/oauth/token", c, false, exchangeForm("c1", "openid email"))
	if status != http.StatusOK {
		t.Fatalf("exchange: %d %v", status, tok)
	}
	var at map[string]any
	decodeJWTPayload(t, tok["access_token"].(string), &at)
	if at["iss"] != e.issuer || at["client_id"] != c.ID || at["jti"] == nil {
		t.Errorf("JWT access token claims = %v", at)
	}
	if info := userinfo(t, e, tok["access_token"].(string)); info["email"] != "ada@corp.example" {
		t.Errorf("userinfo with the JWT access token = %v", info)
	}
}
