package provider

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/dingbridge/dingbridge/storage"
)

// Grant types a client may list.
const (
	grantAuthorizationCode = "authorization_code"
	grantRefreshToken      = "refresh_token"
	grantClientCredentials = "client_credentials"
)

// GrantTokenExchange is the grant type a client lists in GrantTypes to
// exchange DingTalk in-app codes (TokenTypeDingTalkAuthCode) for tokens.
const GrantTokenExchange = grantTokenExchange

// Scopes beyond the standard ones: scopeGroups releases the person's
// DingTalk departments as "groups" (and "roles"), scopeDingTalk the
// "dingtalk" object.
const (
	scopeGroups   = "groups"
	scopeDingTalk = "dingtalk"
)

// supportedScopes are the scopes the provider knows; any other requested
// scope is dropped from the request.
var supportedScopes = []string{
	oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopePhone, scopeGroups, oidc.ScopeOfflineAccess, scopeDingTalk,
}

// GenerateClientSecret returns a new client secret of 256 random bits,
// base64url encoded, and the SHA-256 digest to store as
// storage.Client.SecretHash.
func GenerateClientSecret() (secret string, hash []byte, err error) {
	secret = newToken()
	return secret, HashClientSecret(secret), nil
}

// HashClientSecret returns the digest a client secret is stored and
// compared as.
func HashClientSecret(secret string) []byte { return digest(secret) }

// secretMatches compares a presented secret with the stored digest in
// constant time.
func secretMatches(c storage.Client, secret string) bool {
	if len(c.SecretHash) == 0 || secret == "" {
		return false
	}
	return subtle.ConstantTimeCompare(digest(secret), c.SecretHash) == 1
}

// ValidateClient reports every problem with a client registration at once:
// redirect URIs must be absolute without fragments and use https unless
// they point at a loopback address or belong to a native client; grant
// types must be known; a public client has no secret and a confidential
// one has a SHA-256 secret digest; enumerated fields hold known values.
func ValidateClient(c storage.Client) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if c.ID == "" || strings.ContainsAny(c.ID, " \t\r\n:") {
		bad("client id %q: must be non-empty without spaces or colons", c.ID)
	}
	switch c.ApplicationType {
	case "web":
		if c.Public {
			bad("application_type web: must be confidential (use native or user_agent for public clients)")
		}
	case "native", "user_agent":
	default:
		bad("application_type %q: must be web, native or user_agent", c.ApplicationType)
	}
	if c.Public && len(c.SecretHash) != 0 {
		bad("public client: must not have a secret")
	}
	if !c.Public && len(c.SecretHash) != 32 {
		bad("confidential client: secret hash must be a 32-byte SHA-256 digest")
	}
	if len(c.GrantTypes) == 0 {
		bad("grant_types: at least one is required")
	}
	for _, g := range c.GrantTypes {
		switch g {
		case grantAuthorizationCode:
		case grantRefreshToken:
			if !slices.Contains(c.GrantTypes, grantAuthorizationCode) && !slices.Contains(c.GrantTypes, grantTokenExchange) {
				bad("grant_types: refresh_token requires authorization_code or the token exchange grant")
			}
		case grantClientCredentials:
			if c.Public {
				bad("grant_types: client_credentials requires a confidential client")
			}
		case grantTokenExchange:
		default:
			bad("grant_types: unknown grant type %q", g)
		}
	}
	if slices.Contains(c.GrantTypes, grantAuthorizationCode) && len(c.RedirectURIs) == 0 {
		bad("redirect_uris: authorization_code requires at least one")
	}
	native := c.ApplicationType == "native"
	for _, u := range c.RedirectURIs {
		if err := validateRedirectURI(u, native); err != nil {
			bad("redirect_uris: %w", err)
		}
	}
	for _, u := range c.PostLogoutRedirectURIs {
		if err := validateRedirectURI(u, native); err != nil {
			bad("post_logout_redirect_uris: %w", err)
		}
	}
	for _, s := range c.Scopes {
		if !slices.Contains(supportedScopes, s) {
			bad("scopes: unknown scope %q", s)
		}
	}
	switch c.AccessTokenFormat {
	case "", "opaque", "jwt":
	default:
		bad("access_token_format %q: must be opaque or jwt", c.AccessTokenFormat)
	}
	if c.AccessTokenTTL < 0 || c.IDTokenTTL < 0 || c.RefreshTokenTTL < 0 {
		bad("token lifetimes must not be negative")
	}
	switch c.Policy.Email {
	case "", "org", "directory", "omit":
	default:
		bad("policy.email %q: must be org, directory or omit", c.Policy.Email)
	}
	switch c.Policy.Groups {
	case "", "names", "ids", "paths":
	default:
		bad("policy.groups %q: must be names, ids or paths", c.Policy.Groups)
	}
	for _, u := range []string{c.InitiateLoginURI, c.BackchannelLogoutURI} {
		if u != "" {
			if err := validateRedirectURI(u, false); err != nil {
				bad("%w", err)
			}
		}
	}
	return errors.Join(errs...)
}

func validateRedirectURI(raw string, native bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q: %w", raw, err)
	}
	if !u.IsAbs() {
		return fmt.Errorf("%q: must be absolute", raw)
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return fmt.Errorf("%q: must not have a fragment", raw)
	}
	switch u.Scheme {
	case "https":
		if u.Host == "" {
			return fmt.Errorf("%q: must have a host", raw)
		}
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%q: http is only allowed for loopback addresses", raw)
	default:
		if native {
			return nil // private-use URI scheme, RFC 8252 section 7.1
		}
		return fmt.Errorf("%q: scheme %q is only allowed for native clients", raw, u.Scheme)
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// client adapts a storage.Client to op.Client.
type client struct {
	c storage.Client
	p *Provider
}

var _ op.Client = (*client)(nil)

func (c *client) GetID() string                    { return c.c.ID }
func (c *client) RedirectURIs() []string           { return c.c.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return c.c.PostLogoutRedirectURIs }
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) LoginURL(id string) string    { return c.p.loginURL(id) }
func (c *client) DevMode() bool                { return false }
func (c *client) ClockSkew() time.Duration     { return 0 }
func (c *client) IsScopeAllowed(s string) bool { return slices.Contains(c.allowedScopes(), s) }

// IDTokenUserinfoClaimsAssertion puts the scope claims in the ID token even
// when an access token is issued, as the client's policy asks.
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return c.c.Policy.ClaimsInIDToken }

func (c *client) ApplicationType() op.ApplicationType {
	switch c.c.ApplicationType {
	case "native":
		return op.ApplicationTypeNative
	case "user_agent":
		return op.ApplicationTypeUserAgent
	default:
		return op.ApplicationTypeWeb
	}
}

func (c *client) AuthMethod() oidc.AuthMethod {
	if c.c.Public {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}

func (c *client) GrantTypes() []oidc.GrantType {
	out := make([]oidc.GrantType, 0, len(c.c.GrantTypes))
	for _, g := range c.c.GrantTypes {
		out = append(out, oidc.GrantType(g))
	}
	return out
}

func (c *client) AccessTokenType() op.AccessTokenType {
	if c.c.AccessTokenFormat == "jwt" {
		return op.AccessTokenTypeJWT
	}
	return op.AccessTokenTypeBearer
}

func (c *client) IDTokenLifetime() time.Duration {
	if c.c.IDTokenTTL > 0 {
		return min(c.c.IDTokenTTL, c.p.tokenLifetimeCap)
	}
	return c.p.cfg.IDTokenTTL
}

func (c *client) accessTokenTTL() time.Duration {
	if c.c.AccessTokenTTL > 0 {
		return min(c.c.AccessTokenTTL, c.p.tokenLifetimeCap)
	}
	return c.p.cfg.AccessTokenTTL
}

func (c *client) refreshTokenTTL() time.Duration {
	if c.c.RefreshTokenTTL > 0 {
		return c.c.RefreshTokenTTL
	}
	return c.p.cfg.RefreshTokenTTL
}

func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// allowedScopes is what the client may request: its own list, or every
// supported scope. offline_access needs the refresh_token grant.
func (c *client) allowedScopes() []string {
	base := supportedScopes
	if len(c.c.Scopes) > 0 {
		base = c.c.Scopes
	}
	out := make([]string, 0, len(base)+1)
	for _, s := range base {
		if s == oidc.ScopeOfflineAccess && !slices.Contains(c.c.GrantTypes, grantRefreshToken) {
			continue
		}
		out = append(out, s)
	}
	if !slices.Contains(out, oidc.ScopeOpenID) {
		out = append(out, oidc.ScopeOpenID)
	}
	return out
}

// filterScopes drops unknown, disallowed and repeated scopes.
func (c *client) filterScopes(requested []string) []string {
	allowed := c.allowedScopes()
	var out []string
	for _, s := range requested {
		if slices.Contains(allowed, s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// requiresPKCE reports whether the client must send a code challenge.
func (c *client) requiresPKCE() bool { return c.c.Public || c.c.RequirePKCE }
