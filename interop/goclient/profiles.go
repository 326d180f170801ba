package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/oauth2"
)

// dingbridge runs every endpoint a relying party uses against dingbridge.
func (rp *relyingParty) dingbridge(ctx context.Context) (string, error) {
	c, err := rp.discover(ctx)
	if err != nil {
		return "", err
	}
	if !slices.Contains(c.meta.CodeChallengeMethods, "S256") {
		return "", fmt.Errorf("discovery code_challenge_methods_supported %q lacks S256", c.meta.CodeChallengeMethods)
	}
	for _, ep := range []string{c.meta.IntrospectionEndpoint, c.meta.RevocationEndpoint, c.meta.EndSessionEndpoint} {
		if ep == "" {
			return "", fmt.Errorf("discovery lacks an introspection, revocation or end_session endpoint")
		}
	}

	l, err := rp.codeLogin(ctx, c, nil)
	if err != nil {
		return "", err
	}
	sub := l.idToken.Subject
	rp.step("login: ID token verified (RS/ES signature, iss, aud, exp, nonce), sub %s", sub)
	if l.token.RefreshToken == "" {
		return "", fmt.Errorf("no refresh token for scope offline_access")
	}

	ui, err := c.provider.UserInfo(ctx, oauth2.StaticTokenSource(l.token))
	if err != nil {
		return "", fmt.Errorf("userinfo: %w", err)
	}
	if ui.Subject != sub {
		return "", fmt.Errorf("userinfo sub %q, ID token sub %q", ui.Subject, sub)
	}
	uiClaims := map[string]any{}
	if err := ui.Claims(&uiClaims); err != nil {
		return "", fmt.Errorf("userinfo claims: %w", err)
	}
	if err := rp.checkIdentity("userinfo", uiClaims); err != nil {
		return "", err
	}
	rp.step("userinfo: same sub, email %v, groups %s", uiClaims["email"], compact(uiClaims["groups"]))

	// Refresh: a new access token, a rotated refresh token, an ID token
	// for the same person.
	refreshed, err := c.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: l.token.RefreshToken}).Token()
	if err != nil {
		return "", fmt.Errorf("refresh: %w", err)
	}
	if refreshed.AccessToken == l.token.AccessToken || refreshed.RefreshToken == "" || refreshed.RefreshToken == l.token.RefreshToken {
		return "", fmt.Errorf("refresh did not issue a new access token and a rotated refresh token")
	}
	rl, err := rp.verifyTokenResponse(ctx, c, refreshed)
	if err != nil {
		return "", fmt.Errorf("refresh: %w", err)
	}
	if rl.idToken.Subject != sub {
		return "", fmt.Errorf("refreshed ID token sub %q, want %q", rl.idToken.Subject, sub)
	}
	// Relying parties keep the newest ID token as the id_token_hint of
	// their logout (oauth2-proxy's backend_logout_url), so it must still
	// name the session.
	if sid, _ := l.claims["sid"].(string); sid == "" || rl.claims["sid"] != sid {
		rp.finding("the refreshed ID token's sid is %v, want the login's sid %q: a logout with it as id_token_hint cannot name the session", rl.claims["sid"], sid)
	} else {
		rp.step("refresh: the refreshed ID token keeps the session's sid")
	}
	rp.step("refresh: new access token, rotated refresh token, ID token for the same sub")

	in, err := rp.introspect(ctx, c, refreshed.AccessToken)
	if err != nil {
		return "", err
	}
	if in["active"] != true || in["sub"] != sub || in["client_id"] != rp.o.clientID {
		return "", fmt.Errorf("introspection of the access token: %s, want active for sub and client", compact(in))
	}
	rp.step("introspection: active, sub and client_id match")

	if err := rp.revoke(ctx, c, refreshed.RefreshToken, "refresh_token"); err != nil {
		return "", err
	}
	_, err = c.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: refreshed.RefreshToken}).Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		return "", fmt.Errorf("refresh with a revoked refresh token: %v, want invalid_grant", err)
	}
	rp.step("revocation: the revoked refresh token is invalid_grant")

	// Single sign-on: the browser's session answers prompt=none.
	sso, err := rp.codeLogin(ctx, c, url.Values{"prompt": {"none"}})
	if err != nil {
		return "", fmt.Errorf("prompt=none with a session: %w", err)
	}
	if sso.idToken.Subject != sub {
		return "", fmt.Errorf("prompt=none logged in sub %q, want %q", sso.idToken.Subject, sub)
	}
	sid, _ := sso.claims["sid"].(string)
	rp.step("prompt=none: signed in silently, sid %t", sid != "")

	// Logout: end_session with id_token_hint, post_logout_redirect_uri and
	// state; afterwards prompt=none is login_required and the session's
	// access token is inactive.
	if rp.o.postLogoutURI == "" {
		return "", fmt.Errorf("-post-logout-uri is required")
	}
	state := randomString()
	q := url.Values{
		"id_token_hint": {sso.rawID}, "post_logout_redirect_uri": {rp.o.postLogoutURI},
		"state": {state}, "client_id": {rp.o.clientID},
	}
	final, err := rp.browse(c.meta.EndSessionEndpoint+"?"+q.Encode(), rp.o.postLogoutURI)
	if err != nil {
		return "", fmt.Errorf("end_session: %w", err)
	}
	fu, err := url.Parse(final)
	if err != nil || fu.Query().Get("state") != state {
		return "", fmt.Errorf("end_session ended at %s, want the post-logout URI with the state echoed", final)
	}
	cb, _, _, _, err := rp.authorize(c, url.Values{"prompt": {"none"}})
	if err != nil {
		return "", fmt.Errorf("prompt=none after logout: %w", err)
	}
	if cb.Get("error") != "login_required" {
		return "", fmt.Errorf("prompt=none after logout answered %q, want error=login_required", cb.Encode())
	}
	if in, err := rp.introspect(ctx, c, sso.token.AccessToken); err != nil {
		return "", err
	} else if in["active"] != false {
		return "", fmt.Errorf("introspection after logout: %s, want active false", compact(in))
	}
	rp.step("end_session: state echoed; then prompt=none is login_required, the session's access token inactive")
	if err := rp.findingsError(); err != nil {
		return "", err
	}
	return fmt.Sprintf("login as %s (%v), userinfo, refresh, introspection, revocation, prompt=none SSO, end_session", uiClaims["name"], uiClaims["email"]), nil
}

// broker logs in through a broker and checks the DingTalk identity in its
// ID token, then refreshes through it (the broker refreshes upstream).
func (rp *relyingParty) broker(ctx context.Context) (string, error) {
	c, err := rp.discover(ctx)
	if err != nil {
		return "", err
	}
	l, err := rp.codeLogin(ctx, c, nil)
	if err != nil {
		return "", err
	}
	if err := rp.checkIdentity("broker ID token", l.claims); err != nil {
		return "", err
	}
	rp.step("login through the broker: email %v, name %v, groups %s", l.claims["email"], l.claims["name"], compact(l.claims["groups"]))
	if l.token.RefreshToken == "" {
		return "", fmt.Errorf("broker issued no refresh token")
	}
	refreshed, err := c.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: l.token.RefreshToken}).Token()
	if err != nil {
		return "", fmt.Errorf("refresh through the broker: %w", err)
	}
	rl, err := rp.verifyTokenResponse(ctx, c, refreshed)
	if err != nil {
		return "", fmt.Errorf("refresh through the broker: %w", err)
	}
	if err := rp.checkIdentity("broker ID token after refresh", rl.claims); err != nil {
		return "", err
	}
	rp.step("refresh through the broker: identity unchanged")
	return fmt.Sprintf("login through the broker as %v (%v), groups %s; refresh", l.claims["name"], l.claims["email"], compact(l.claims["groups"])), nil
}

// introspect calls the RFC 7662 endpoint with client_secret_basic.
func (rp *relyingParty) introspect(ctx context.Context, c *client, token string) (map[string]any, error) {
	body, err := rp.post(ctx, c.meta.IntrospectionEndpoint, url.Values{"token": {token}})
	if err != nil {
		return nil, fmt.Errorf("introspection: %w", err)
	}
	out := map[string]any{}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("introspection answer: %w", err)
	}
	return out, nil
}

// revoke calls the RFC 7009 endpoint with client_secret_basic.
func (rp *relyingParty) revoke(ctx context.Context, c *client, token, hint string) error {
	if _, err := rp.post(ctx, c.meta.RevocationEndpoint, url.Values{"token": {token}, "token_type_hint": {hint}}); err != nil {
		return fmt.Errorf("revocation: %w", err)
	}
	return nil
}

// post sends an authenticated form post and returns a 200 answer's body.
func (rp *relyingParty) post(ctx context.Context, endpoint string, form url.Values) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(rp.o.clientID), url.QueryEscape(rp.o.clientSecret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, oneLine(string(body)))
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); len(body) > 0 && mt != "application/json" {
		return nil, fmt.Errorf("answer is %q, want application/json", mt)
	}
	return body, nil
}
