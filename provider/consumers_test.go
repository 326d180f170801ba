package provider

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/dingbridge/dingbridge/storage"
)

// tokensFor logs c in through browser b (a fresh browser when nil) with
// extra authorization parameters and redeems the code with
// client_secret_basic; it fails the test unless the token endpoint
// answers 200.
func (e *env) tokensFor(t *testing.T, b *http.Client, c testClient, extra url.Values) map[string]any {
	t.Helper()
	if b == nil {
		b = newBrowser(t)
	}
	q := e.login(t, b, c, extra)
	if q.Get("code") == "" {
		t.Fatalf("authorization response without code: %v", q)
	}
	status, tok := e.exchange(t, c, true, q.Get("code"), "")
	if status != http.StatusOK {
		t.Fatalf("token endpoint: %d %v", status, tok)
	}
	return tok
}

// jwtClaims decodes the payload of a JWT from a token response field.
func jwtClaims(t *testing.T, tok map[string]any, field string) map[string]any {
	t.Helper()
	raw, _ := tok[field].(string)
	if raw == "" {
		t.Fatalf("token response has no %s: %v", field, tok)
	}
	var c map[string]any
	decodeJWTPayload(t, raw, &c)
	return c
}

// getRaw GETs u with header and returns the response and its body.
func getRaw(t *testing.T, u string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// jwks fetches the provider's key set.
func (e *env) jwks(t *testing.T) (jose.JSONWebKeySet, []map[string]any) {
	t.Helper()
	resp, body := getRaw(t, e.issuer+"/keys", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /keys: %d", resp.StatusCode)
	}
	var set jose.JSONWebKeySet
	var raw struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	return set, raw.Keys
}

// endSession GETs /end_session in a fresh browser and returns where it
// sent the browser.
func (e *env) endSession(t *testing.T, q url.Values) *url.URL {
	t.Helper()
	resp := visit(t, newBrowser(t), e.issuer+"/end_session?"+q.Encode())
	if resp.StatusCode != http.StatusFound {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("end_session = %d, want a redirect; body:\n%s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestConsumerRequirements checks, one subtest each, what relying parties
// (Keycloak, Grafana, oauth2-proxy, go-oidc, openid-client) rely on and
// providers easily get wrong.
func TestConsumerRequirements(t *testing.T) {
	t.Run("issuer byte-exact in discovery and tokens", func(t *testing.T) {
		e := newEnv(t, newSQLite(t))
		c := e.addClient("web", func(c *storage.Client) { c.AccessTokenFormat = "jwt" })
		resp, body := getRaw(t, e.issuer+"/.well-known/openid-configuration", nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"issuer":"`+e.issuer+`"`) {
			t.Errorf("discovery = %d %s, want issuer %q byte for byte", resp.StatusCode, body, e.issuer)
		}
		var meta map[string]any
		if err := json.Unmarshal(body, &meta); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri", "end_session_endpoint"} {
			if v, _ := meta[k].(string); !strings.HasPrefix(v, e.issuer+"/") {
				t.Errorf("%s = %q, want under the issuer", k, v)
			}
		}
		q := e.login(t, newBrowser(t), c, nil)
		if q.Get("iss") != e.issuer {
			t.Errorf("authorization response iss = %q, want %q", q.Get("iss"), e.issuer)
		}
		_, tok := e.exchange(t, c, true, q.Get("code"), "")
		for _, field := range []string{"id_token", "access_token"} {
			if iss := jwtClaims(t, tok, field)["iss"]; iss != e.issuer {
				t.Errorf("%s iss = %q, want %q", field, iss, e.issuer)
			}
		}
		_, intro := e.post(t, "/oauth/introspect", c, true, url.Values{"token": {tok["access_token"].(string)}})
		if intro["iss"] != e.issuer {
			t.Errorf("introspection iss = %v, want %q", intro["iss"], e.issuer)
		}
	})

	t.Run("kid, alg and use on JWKS keys; next key published before use", func(t *testing.T) {
		e := newEnv(t, newSQLite(t))
		c := e.addClient("web", nil)
		checkKeys := func(keys []map[string]any) {
			t.Helper()
			for _, k := range keys {
				if k["kid"] == "" || k["kid"] == nil || k["alg"] != "RS256" || k["use"] != "sig" || k["kty"] != "RSA" {
					t.Errorf("JWKS key %v, want kid, alg RS256, use sig, kty RSA", k)
				}
			}
		}
		_, keys := e.jwks(t)
		checkKeys(keys)
		first := jwtKID(t, e.tokensFor(t, nil, c, nil)["id_token"].(string))

		if err := e.p.Keys().Rotate(t.Context()); err != nil {
			t.Fatal(err)
		}
		// A relying party fetches the key set now and caches it.
		cached, keys := e.jwks(t)
		checkKeys(keys)
		if len(cached.Keys) != 2 {
			t.Fatalf("JWKS after rotation has %d keys, want the active and the next", len(cached.Keys))
		}
		if kid := jwtKID(t, e.tokensFor(t, nil, c, nil)["id_token"].(string)); kid != first {
			t.Errorf("the next key signs before it activates (kid %s, want %s)", kid, first)
		}
		e.clock.Advance(time.Hour + time.Second) // one token lifetime: the next key activates
		raw := e.tokensFor(t, nil, c, nil)["id_token"].(string)
		kid := jwtKID(t, raw)
		if kid == first {
			t.Fatalf("still signing with %s after activation", first)
		}
		keysForKID := cached.Key(kid)
		if len(keysForKID) != 1 {
			t.Fatalf("new signing key %s was not in the key set published before it signed", kid)
		}
		jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := jws.Verify(keysForKID[0]); err != nil {
			t.Errorf("ID token does not verify with the cached key: %v", err)
		}
	})

	t.Run("client_secret_post and client_secret_basic", func(t *testing.T) {
		e := newEnv(t, newSQLite(t))
		c := e.addClient("web", nil)
		for _, basic := range []bool{false, true} {
			q := e.login(t, newBrowser(t), c, nil)
			status, tok := e.exchange(t, c, basic, q.Get("code"), "")
			if status != http.StatusOK || tok["access_token"] == nil {
				t.Errorf("basic=%v: %d %v", basic, status, tok)
			}
		}
		wrong := c
		wrong.secret = "not-the-secret"
		for _, basic := range []bool{false, true} {
			q := e.login(t, newBrowser(t), c, nil)
			status, tok := e.exchange(t, wrong, basic, q.Get("code"), "")
			wantOAuthError(t, "wrong secret", status, tok, http.StatusUnauthorized, "invalid_client")
		}
	})

	t.Run("PKCE optional for confidential clients", func(t *testing.T) {
		e := newEnv(t, newSQLite(t))
		c := e.addClient("web", nil)
		tok := e.tokensFor(t, nil, c, nil) // no code_challenge, no code_verifier
		if tok["id_token"] == nil || tok["access_token"] == nil {
			t.Errorf("token response without PKCE = %v", tok)
		}
		// With PKCE the verifier is checked.
		code, verifier := e.codeFor(t, c)
		status, tok := e.exchange(t, c, true, code, verifier+"x")
		wantOAuthError(t, "wrong verifier", status, tok, http.StatusBadRequest, "invalid_grant")
	})

	t.Run("nonce echoed but not required", func(t *testing.T) {
		e := newEnv(t, newSQLite(t))
		c := e.addClient("web", nil)
		with := jwtClaims(t, e.tokensFor(t, nil, c, url.Values{"nonce": {"n-0S6_WzA2Mj"}}), "id_token")
		if with["nonce"] != "n-0S6_WzA2Mj" {
			t.Errorf("nonce = %v, want it echoed", with["nonce"])
		}
		without := jwtClaims(t, e.tokensFor(t, nil, c, nil), "id_token")
		if _, ok := without["nonce"]; ok {
			t.Errorf("nonce = %v without one in the request, want absent", without["nonce"])
		}
	})

	t.Run("auth_time whenever max_age was sent", func(t *testing.T) {
		e := newEnv(t, newSQLite(t))
		c := e.addClient("web", nil)
		b := newBrowser(t)
		for _, maxAge := range []string{"3600", "0"} {
			tok := e.tokensFor(t, b, c, url.Values{"max_age": {maxAge}})
			at, ok := jwtClaims(t, tok, "id_token")["auth_time"].(float64)
			if !ok || at <= 0 {
				t.Errorf("max_age=%s: auth_time = %v, want a number", maxAge, at)
			}
			status, refreshed := e.post(t, "/oauth/token", c, true, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}})
			if status != http.StatusOK {
				t.Fatalf("refresh: %d %v", status, refreshed)
			}
			if got := jwtClaims(t, refreshed, "id_token")["auth_time"]; got != at {
				t.Errorf("max_age=%s: refreshed ID token auth_time = %v, want the original %v", maxAge, got, at)
			}
		}
	})

	t.Run("userinfo application/json with the ID token's sub", func(t *testing.T) {
		e := newEnv(t, newSQLite(t))
		c := e.addClient("web", nil)
		tok := e.tokensFor(t, nil, c, nil)
		resp, body := getRaw(t, e.issuer+"/userinfo", http.Header{"Authorization": {"Bearer " + tok["access_token"].(string)}})
		mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if resp.StatusCode != http.StatusOK || err != nil || mt != "application/json" {
			t.Errorf("userinfo = %d %q, want 200 application/json", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		var info map[string]any
		if err := json.Unmarshal(body, &info); err != nil {
			t.Fatalf("userinfo body is not JSON: %s", body)
		}
		if sub := jwtClaims(t, tok, "id_token")["sub"]; sub == nil || info["sub"] != sub {
			t.Errorf("userinfo sub = %v, ID token sub = %v", info["sub"], sub)
		}
	})

	t.Run("email_verified per client policy, a JSON boolean", func(t *testing.T) {
		e := newEnv(t, newSQLite(t))
		e.auth.identity.Profile.Email = "ada@mail.example"
		org := e.addClient("org", func(c *storage.Client) { c.Policy.ClaimsInIDToken = true })
		directory := e.addClient("directory", func(c *storage.Client) {
			c.Policy.Email, c.Policy.ClaimsInIDToken = "directory", true
		})
		for _, tc := range []struct {
			c        testClient
			email    string
			verified bool
		}{{org, "ada@corp.example", true}, {directory, "ada@mail.example", false}} {
			tok := e.tokensFor(t, nil, tc.c, nil)
			for where, claims := range map[string]map[string]any{
				"userinfo": userinfo(t, e, tok["access_token"].(string)),
				"id_token": jwtClaims(t, tok, "id_token"),
			} {
				v, isBool := claims["email_verified"].(bool)
				if claims["email"] != tc.email || !isBool || v != tc.verified {
					t.Errorf("%s %s: email %v email_verified %#v, want %s and the JSON boolean %v",
						tc.c.ID, where, claims["email"], claims["email_verified"], tc.email, tc.verified)
				}
			}
		}
	})

	t.Run("groups a JSON string array", func(t *testing.T) {
		e := newEnv(t, newSQLite(t))
		e.auth.identity.Profile.Departments = []storage.Department{{ID: 42, Name: "研发部"}}
		c := e.addClient("web", nil)
		tok := e.tokensFor(t, nil, c, url.Values{"scope": {"openid groups"}})
		groups, ok := userinfo(t, e, tok["access_token"].(string))["groups"].([]any)
		if !ok || len(groups) != 1 || groups[0] != "研发部" {
			t.Errorf("groups = %#v, want [\"研发部\"] (an array even with one group)", groups)
		}
		e.auth.identity.Profile.Departments = nil
		tok = e.tokensFor(t, nil, c, url.Values{"scope": {"openid groups"}})
		if groups, ok := userinfo(t, e, tok["access_token"].(string))["groups"].([]any); !ok || len(groups) != 0 {
			t.Errorf("groups without departments = %#v, want []", groups)
		}
	})

	t.Run("session_state equals sid", func(t *testing.T) {
		e := newEnv(t, newSQLite(t))
		c := e.addClient("web", nil)
		tok := e.tokensFor(t, nil, c, nil)
		sid := jwtClaims(t, tok, "id_token")["sid"]
		if sid == nil || sid == "" || tok["session_state"] != sid {
			t.Errorf("session_state = %v, sid = %v", tok["session_state"], sid)
		}
	})

	t.Run("end_session without id_token_hint echoes state", func(t *testing.T) {
		e := newEnv(t, newSQLite(t))
		c := e.addClient("web", nil)
		loc := e.endSession(t, url.Values{"client_id": {c.ID}, "post_logout_redirect_uri": {c.PostLogoutRedirectURIs[0]}, "state": {"s-1"}})
		if loc.Host != rpHost || loc.Query().Get("state") != "s-1" {
			t.Errorf("end_session went to %s, want the RP with state", loc)
		}
	})

	t.Run("end_session with an expired id_token_hint echoes state", func(t *testing.T) {
		e := newEnv(t, newSQLite(t))
		c := e.addClient("web", nil)
		tok := e.tokensFor(t, nil, c, nil)
		hint := expiredCopy(t, e, tok["id_token"].(string))
		loc := e.endSession(t, url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {c.PostLogoutRedirectURIs[0]}, "state": {"s-2"}})
		if loc.Host != rpHost || loc.Query().Get("state") != "s-2" {
			t.Errorf("end_session went to %s, want the RP with state", loc)
		}
		if _, err := e.store.GetSession(t.Context(), tok["session_state"].(string), e.clock.Now()); err == nil {
			t.Error("the expired hint's session survived")
		}
	})

	t.Run("end_session accepts Keycloak's broker logout_response", func(t *testing.T) {
		e := newEnv(t, newSQLite(t))
		kc := "https://" + rpHost + "/realms/r/broker/dingtalk/endpoint/logout_response"
		c := e.addClient("keycloak", func(c *storage.Client) {
			c.RedirectURIs = []string{"https://" + rpHost + "/realms/r/broker/dingtalk/endpoint"}
			c.PostLogoutRedirectURIs = []string{kc}
		})
		tok := e.tokensFor(t, nil, c, nil)
		for name, q := range map[string]url.Values{
			"with id_token_hint": {"id_token_hint": {tok["id_token"].(string)}},
			"with client_id":     {"client_id": {c.ID}},
		} {
			q.Set("post_logout_redirect_uri", kc)
			q.Set("state", "kc-state")
			resp := visit(t, newBrowser(t), e.issuer+"/end_session?"+q.Encode())
			if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || got != kc+"?state=kc-state" {
				t.Errorf("%s: end_session = %d %q, want %s?state=kc-state", name, resp.StatusCode, got, kc)
			}
		}
	})

	t.Run("prompt=none answered with a redirect, never a page", func(t *testing.T) {
		e := newEnv(t, newSQLite(t))
		c := e.addClient("web", nil)
		b := newBrowser(t)
		q := e.login(t, b, c, url.Values{"prompt": {"none"}, "state": {"p-1"}})
		if q.Get("error") != "login_required" || q.Get("state") != "p-1" || q.Get("iss") != e.issuer {
			t.Errorf("prompt=none without a session: %v, want login_required with state and iss", q)
		}
		if n := e.auth.calls.Load(); n != 0 {
			t.Errorf("prompt=none showed the login step %d times", n)
		}
		e.tokensFor(t, b, c, nil)
		q = e.login(t, b, c, url.Values{"prompt": {"none"}, "state": {"p-2"}})
		if q.Get("code") == "" || q.Get("state") != "p-2" {
			t.Errorf("prompt=none with a session: %v, want a code", q)
		}
	})

	t.Run("unknown scopes and parameters ignored", func(t *testing.T) {
		e := newEnv(t, newSQLite(t))
		c := e.addClient("web", nil)
		tok := e.tokensFor(t, nil, c, url.Values{
			"scope":                  {"openid profile email offline_access https://www.googleapis.com/auth/userinfo.profile read:org"},
			"approval_prompt":        {"force"},
			"access_type":            {"offline"},
			"include_granted_scopes": {"true"},
			"kc_idp_hint":            {"dingtalk"},
		})
		scope, _ := tok["scope"].(string)
		if strings.Contains(scope, "read:org") || strings.Contains(scope, "googleapis") || !strings.Contains(scope, "openid") {
			t.Errorf("granted scope = %q, want the known scopes only", scope)
		}
		if tok["refresh_token"] == nil || jwtClaims(t, tok, "id_token")["sub"] == nil {
			t.Errorf("token response = %v", tok)
		}
	})

	t.Run("token_type Bearer", func(t *testing.T) {
		e := newEnv(t, newSQLite(t))
		c := e.addClient("web", nil)
		tok := e.tokensFor(t, nil, c, nil)
		if tok["token_type"] != "Bearer" {
			t.Errorf("token_type = %v, want Bearer", tok["token_type"])
		}
		_, refreshed := e.post(t, "/oauth/token", c, true, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}})
		if refreshed["token_type"] != "Bearer" {
			t.Errorf("refresh token_type = %v, want Bearer", refreshed["token_type"])
		}
	})
}

// jwtKID returns the kid header of a compact JWS.
func jwtKID(t *testing.T, raw string) string {
	t.Helper()
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	return jws.Signatures[0].Header.KeyID
}

// expiredCopy re-signs an ID token's claims with the provider's active key
// as if it had been issued two hours ago: a genuine hint that has expired.
func expiredCopy(t *testing.T, e *env, idToken string) string {
	t.Helper()
	var claims map[string]any
	decodeJWTPayload(t, idToken, &claims)
	now := e.clock.Now()
	claims["iat"] = now.Add(-2 * time.Hour).Unix()
	claims["exp"] = now.Add(-time.Hour).Unix()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	key, err := e.p.Keys().SigningKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{
		Algorithm: key.SignatureAlgorithm(),
		Key:       jose.JSONWebKey{Key: key.Key(), KeyID: key.ID()},
	}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}
