package provider

import (
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/dingbridge/dingbridge/storage"
)

// TestEndToEnd drives a complete login with go-oidc and x/oauth2 as the
// relying party, against both backends.
func TestEndToEnd(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { testEndToEnd(t, b.open(t)) })
	}
}

func testEndToEnd(t *testing.T, s storage.Storage) {
	e := newEnv(t, s)
	c1 := e.addClient("app-one", nil)
	c2 := e.addClient("app-two", nil)
	ctx := oidc.ClientContext(t.Context(), http.DefaultClient)

	// Discovery.
	provider, err := oidc.NewProvider(ctx, e.issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	var meta struct {
		Issuer              string   `json:"issuer"`
		EndSession          string   `json:"end_session_endpoint"`
		Introspection       string   `json:"introspection_endpoint"`
		Revocation          string   `json:"revocation_endpoint"`
		PKCE                []string `json:"code_challenge_methods_supported"`
		AuthMethods         []string `json:"token_endpoint_auth_methods_supported"`
		Claims              []string `json:"claims_supported"`
		Scopes              []string `json:"scopes_supported"`
		IssParameterSupport bool     `json:"authorization_response_iss_parameter_supported"`
	}
	if err := provider.Claims(&meta); err != nil {
		t.Fatal(err)
	}
	if meta.Issuer != e.issuer || meta.EndSession != e.issuer+"/end_session" ||
		meta.Introspection != e.issuer+"/oauth/introspect" || meta.Revocation != e.issuer+"/oauth/revoke" {
		t.Errorf("discovery endpoints = %+v", meta)
	}
	if !slices.Equal(meta.PKCE, []string{"S256"}) || !meta.IssParameterSupport ||
		!slices.Contains(meta.AuthMethods, "client_secret_basic") || !slices.Contains(meta.AuthMethods, "client_secret_post") ||
		!slices.Contains(meta.Claims, "sid") || !slices.Contains(meta.Scopes, "openid") {
		t.Errorf("discovery capabilities = %+v", meta)
	}

	conf := oauth2.Config{
		ClientID: c1.ID, ClientSecret: c1.secret, Endpoint: provider.Endpoint(), RedirectURL: c1.RedirectURIs[0],
		Scopes: []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess, "unknown-scope"},
	}
	browser := newBrowser(t)
	verifier := oauth2.GenerateVerifier()
	state, nonce := "state-"+randomString(8), "nonce-"+randomString(8)

	e.store.reset()
	resp := visit(t, browser, conf.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("ui_locales", "en"), oauth2.SetAuthURLParam("login_hint", "ada")))
	q := rpRedirect(t, resp)
	if q.Get("state") != state || q.Get("iss") != e.issuer || q.Get("code") == "" {
		t.Fatalf("authorization response = %v", q)
	}
	if last := e.auth.last.Load(); last == nil || last.LoginHint != "ada" || !slices.Equal(last.UILocales, []string{"en"}) {
		t.Errorf("LoginRequest = %+v, want login_hint and ui_locales passed", last)
	}
	tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if writes := e.store.reset(); !slices.Equal(writes, []string{"CompleteLogin", "RedeemAuthCode"}) {
		t.Errorf("login flow committed %v, want [CompleteLogin RedeemAuthCode]", writes)
	}

	// ID token.
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&oidc.Config{ClientID: c1.ID}).Verify(ctx, rawID)
	if err != nil {
		t.Fatalf("verify id token: %v", err)
	}
	if idt.Nonce != nonce {
		t.Errorf("nonce = %q, want %q", idt.Nonce, nonce)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	var claims struct {
		SID      string   `json:"sid"`
		AuthTime int64    `json:"auth_time"`
		AZP      string   `json:"azp"`
		AMR      []string `json:"amr"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if claims.SID == "" || claims.AuthTime == 0 || claims.AZP != c1.ID || !slices.Equal(claims.AMR, []string{"qr"}) {
		t.Errorf("id token claims = %+v", claims)
	}
	if ss, _ := tok.Extra("session_state").(string); ss != claims.SID {
		t.Errorf("session_state = %q, want sid %q", ss, claims.SID)
	}
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token despite offline_access")
	}

	// Userinfo.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.issuer+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	uresp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	ubody, _ := io.ReadAll(uresp.Body)
	uresp.Body.Close()
	if mt, _, _ := mime.ParseMediaType(uresp.Header.Get("Content-Type")); mt != "application/json" {
		t.Errorf("userinfo Content-Type = %q, body %s", uresp.Header.Get("Content-Type"), ubody)
	}
	ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	if ui.Subject != idt.Subject || ui.Email != "ada@corp.example" || !ui.EmailVerified {
		t.Errorf("userinfo = %+v, want sub %q and the org email", ui, idt.Subject)
	}

	// A second client in the same browser completes without a login.
	q2 := e.login(t, browser, c2, url.Values{"nonce": {"n2"}})
	if n := e.auth.calls.Load(); n != 1 {
		t.Errorf("Authenticator called %d times, want 1 (second client should use the session)", n)
	}
	code, tok2 := e.post(t, "/oauth/token", c2, true, url.Values{
		"grant_type": {"authorization_code"}, "code": {q2.Get("code")}, "redirect_uri": {c2.RedirectURIs[0]},
	})
	if code != http.StatusOK {
		t.Fatalf("second client exchange: %d %v", code, tok2)
	}
	if tok2["session_state"] != claims.SID {
		t.Errorf("second client session_state = %v, want the same session %q", tok2["session_state"], claims.SID)
	}

	// Refresh with rotation.
	code, refreshed := e.post(t, "/oauth/token", c1, true, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
	if code != http.StatusOK || refreshed["refresh_token"] == nil || refreshed["refresh_token"] == tok.RefreshToken {
		t.Fatalf("refresh: %d %v", code, refreshed)
	}
	if _, err := provider.Verifier(&oidc.Config{ClientID: c1.ID}).Verify(ctx, refreshed["id_token"].(string)); err != nil {
		t.Errorf("refreshed id token: %v", err)
	}
	newRefresh := refreshed["refresh_token"].(string)
	newAccess := refreshed["access_token"].(string)

	// Introspection.
	code, intro := e.post(t, "/oauth/introspect", c1, true, url.Values{"token": {newAccess}})
	if code != http.StatusOK || intro["active"] != true || intro["sub"] != idt.Subject || intro["client_id"] != c1.ID {
		t.Errorf("introspect access token: %d %v", code, intro)
	}
	code, intro = e.post(t, "/oauth/introspect", c1, false, url.Values{"token": {"garbage"}})
	if code != http.StatusOK || intro["active"] != false || len(intro) != 1 {
		t.Errorf("introspect unknown token: %d %v, want {\"active\":false}", code, intro)
	}
	code, intro = e.post(t, "/oauth/introspect", testClient{Client: c1.Client, secret: "wrong"}, true, url.Values{"token": {newAccess}})
	if code != http.StatusUnauthorized || intro["error"] != "invalid_client" {
		t.Errorf("introspect with a wrong secret: %d %v", code, intro)
	}

	// Revocation: the refresh token takes its family and access tokens.
	code, _ = e.post(t, "/oauth/revoke", c1, true, url.Values{"token": {newRefresh}})
	if code != http.StatusOK {
		t.Errorf("revoke: %d", code)
	}
	code, out := e.post(t, "/oauth/token", c1, true, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {newRefresh}})
	if code != http.StatusBadRequest || out["error"] != "invalid_grant" {
		t.Errorf("refresh after revocation: %d %v", code, out)
	}
	if _, intro = e.post(t, "/oauth/introspect", c1, true, url.Values{"token": {newAccess}}); intro["active"] != false {
		t.Errorf("access token of a revoked family still active: %v", intro)
	}
	if code, _ = e.post(t, "/oauth/revoke", c1, true, url.Values{"token": {"never-issued"}}); code != http.StatusOK {
		t.Errorf("revoke unknown token: %d, want 200", code)
	}

	// RP-initiated logout.
	endURL := e.issuer + "/end_session?" + url.Values{
		"id_token_hint": {rawID}, "post_logout_redirect_uri": {c1.PostLogoutRedirectURIs[0]}, "state": {"bye"},
	}.Encode()
	lresp := visit(t, browser, endURL)
	loc, _ := url.Parse(lresp.Header.Get("Location"))
	if lresp.StatusCode != http.StatusFound || loc.Host != rpHost || loc.Path != "/logout/"+c1.ID || loc.Query().Get("state") != "bye" {
		t.Errorf("end_session = %d %q, want redirect to the registered URI with state", lresp.StatusCode, lresp.Header.Get("Location"))
	}
	if _, err := e.store.GetSession(t.Context(), claims.SID, e.clock.Now()); err == nil {
		t.Error("session row survived logout")
	}
	if _, intro = e.post(t, "/oauth/introspect", c2, true, url.Values{"token": {tok2["access_token"].(string)}}); intro["active"] != false {
		t.Errorf("session access token still active after logout: %v", intro)
	}
	// Logged out: prompt=none now comes back with login_required.
	q = e.login(t, browser, c1, url.Values{"prompt": {"none"}, "state": {"after"}})
	if q.Get("error") != "login_required" || q.Get("state") != "after" {
		t.Errorf("prompt=none after logout = %v", q)
	}

	// An unregistered post_logout_redirect_uri gets the signed-out page.
	bad := visit(t, newBrowser(t), e.issuer+"/end_session?"+url.Values{
		"client_id": {c1.ID}, "post_logout_redirect_uri": {"https://evil.example/"}, "state": {"x"},
	}.Encode())
	body, _ := io.ReadAll(bad.Body)
	if bad.StatusCode != http.StatusOK || bad.Request.URL.Path != "/dingbridge/logged-out" || !strings.Contains(string(body), "<html") {
		t.Errorf("end_session with unregistered URI ended at %d %s", bad.StatusCode, bad.Request.URL)
	}
}
