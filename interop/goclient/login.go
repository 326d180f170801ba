package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// client is a discovered provider and this relying party's registration
// at it.
type client struct {
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	conf     oauth2.Config
	meta     metadata
}

// metadata is the part of the discovery document go-oidc does not parse.
type metadata struct {
	Issuer                string   `json:"issuer"`
	IntrospectionEndpoint string   `json:"introspection_endpoint"`
	RevocationEndpoint    string   `json:"revocation_endpoint"`
	EndSessionEndpoint    string   `json:"end_session_endpoint"`
	CodeChallengeMethods  []string `json:"code_challenge_methods_supported"`
	ScopesSupported       []string `json:"scopes_supported"`
	AuthResponseIssParam  bool     `json:"authorization_response_iss_parameter_supported"`
}

// discover fetches the discovery document; go-oidc refuses one whose
// issuer is not byte for byte the issuer asked for.
func (rp *relyingParty) discover(ctx context.Context) (*client, error) {
	p, err := oidc.NewProvider(ctx, rp.o.issuer)
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	c := &client{
		provider: p,
		verifier: p.Verifier(&oidc.Config{ClientID: rp.o.clientID}),
		conf: oauth2.Config{
			ClientID: rp.o.clientID, ClientSecret: rp.o.clientSecret, RedirectURL: rp.o.redirectURI,
			Endpoint: p.Endpoint(), Scopes: strings.Fields(rp.o.scopes),
		},
	}
	if err := p.Claims(&c.meta); err != nil {
		return nil, fmt.Errorf("discovery document: %w", err)
	}
	rp.step("discovery: issuer %s, authorization %s", c.meta.Issuer, p.Endpoint().AuthURL)
	return c, nil
}

// login is the outcome of one authorization-code login.
type login struct {
	token   *oauth2.Token
	rawID   string
	idToken *oidc.IDToken
	claims  map[string]any
}

// authorize sends the browser to the authorization endpoint with PKCE
// S256, state and nonce (plus extra parameters) and returns the callback
// parameters after checking state and, when present, iss.
func (rp *relyingParty) authorize(c *client, extra url.Values) (cb url.Values, state, nonce, verifier string, err error) {
	state, nonce, verifier = randomString(), randomString(), oauth2.GenerateVerifier()
	opts := []oauth2.AuthCodeOption{oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)}
	for k, vs := range extra {
		opts = append(opts, oauth2.SetAuthURLParam(k, vs[0]))
	}
	final, err := rp.browse(c.conf.AuthCodeURL(state, opts...), rp.o.redirectURI)
	if err != nil {
		return nil, "", "", "", err
	}
	u, err := url.Parse(final)
	if err != nil {
		return nil, "", "", "", fmt.Errorf("callback URL: %w", err)
	}
	cb = u.Query()
	if got := cb.Get("state"); got != state {
		return nil, "", "", "", fmt.Errorf("callback state %q, want the one sent", got)
	}
	if iss := cb.Get("iss"); iss != "" && iss != rp.o.issuer {
		return nil, "", "", "", fmt.Errorf("callback iss %q, want %q", iss, rp.o.issuer)
	}
	if c.meta.AuthResponseIssParam && cb.Get("iss") == "" {
		return nil, "", "", "", fmt.Errorf("discovery promises iss in authorization responses, callback has none")
	}
	return cb, state, nonce, verifier, nil
}

// codeLogin runs a full login: authorize, then exchange the code with the
// PKCE verifier and verify the ID token and its nonce.
func (rp *relyingParty) codeLogin(ctx context.Context, c *client, extra url.Values) (*login, error) {
	cb, _, nonce, verifier, err := rp.authorize(c, extra)
	if err != nil {
		return nil, err
	}
	if e := cb.Get("error"); e != "" {
		return nil, fmt.Errorf("authorization error %s: %s", e, cb.Get("error_description"))
	}
	code := cb.Get("code")
	if code == "" {
		return nil, fmt.Errorf("callback without code")
	}
	tok, err := c.conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, fmt.Errorf("code exchange: %w", err)
	}
	if !strings.EqualFold(tok.TokenType, "Bearer") {
		return nil, fmt.Errorf("token_type %q, want Bearer", tok.TokenType)
	}
	l, err := rp.verifyTokenResponse(ctx, c, tok)
	if err != nil {
		return nil, err
	}
	if l.idToken.Nonce != nonce {
		return nil, fmt.Errorf("ID token nonce %q, want the one sent", l.idToken.Nonce)
	}
	if err := l.idToken.VerifyAccessToken(tok.AccessToken); err != nil && l.idToken.AccessTokenHash != "" {
		return nil, fmt.Errorf("at_hash: %w", err)
	}
	return l, nil
}

// verifyTokenResponse verifies the ID token of a token response
// (signature against the JWKS, issuer, audience, expiry).
func (rp *relyingParty) verifyTokenResponse(ctx context.Context, c *client, tok *oauth2.Token) (*login, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, fmt.Errorf("token response without id_token")
	}
	idt, err := c.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("ID token: %w", err)
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return nil, fmt.Errorf("ID token claims: %w", err)
	}
	return &login{token: tok, rawID: raw, idToken: idt, claims: claims}, nil
}

// checkIdentity compares a claim set with the -want flags.
func (rp *relyingParty) checkIdentity(where string, claims map[string]any) error {
	if rp.o.wantEmail != "" {
		if got, _ := claims["email"].(string); got != rp.o.wantEmail {
			return fmt.Errorf("%s email %q, want %q", where, got, rp.o.wantEmail)
		}
		if v, ok := claims["email_verified"].(bool); !ok || !v {
			return fmt.Errorf("%s email_verified %v, want the JSON boolean true", where, claims["email_verified"])
		}
	}
	if rp.o.wantName != "" {
		if got, _ := claims["name"].(string); got != rp.o.wantName {
			return fmt.Errorf("%s name %q, want %q", where, got, rp.o.wantName)
		}
	}
	if rp.o.wantGroups != "" {
		raw, ok := claims["groups"].([]any)
		if !ok {
			return fmt.Errorf("%s groups %v, want a JSON array of strings", where, claims["groups"])
		}
		var got []string
		for _, g := range raw {
			s, ok := g.(string)
			if !ok {
				return fmt.Errorf("%s groups has a non-string %v", where, g)
			}
			got = append(got, s)
		}
		want := strings.Split(rp.o.wantGroups, ",")
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			return fmt.Errorf("%s groups %q, want %q", where, got, want)
		}
	}
	return nil
}

func randomString() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// compact renders claims for a report line.
func compact(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
