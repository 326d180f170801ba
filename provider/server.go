package provider

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/dingbridge/dingbridge/storage"
)

// server is op's LegacyServer with the endpoints where dingbridge decides
// differently: client authentication (invalid_client is 401), the code and
// refresh grants (session_state, PKCE rules, atomic redemption),
// introspection and revocation of refresh tokens, RP-initiated logout, and
// the discovery document.
type server struct {
	*op.LegacyServer
	p *Provider
}

var _ op.ExtendedLegacyServer = (*server)(nil)

// supportedClaims lists every claim the provider may issue.
var supportedClaims = []string{
	"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr", "azp", "at_hash", "c_hash", "sid",
	"name", "nickname", "preferred_username", "picture", "locale", "updated_at",
	"email", "email_verified", "phone_number", "phone_number_verified", "groups", "roles", "dingtalk",
}

// discovery is op's discovery document plus the RFC 9207 flag.
type discovery struct {
	*oidc.DiscoveryConfiguration
	AuthorizationResponseIssParameterSupported bool `json:"authorization_response_iss_parameter_supported"`
}

// Discovery serves the provider metadata, trimmed to what the provider
// really offers.
func (s *server) Discovery(ctx context.Context, r *op.Request[struct{}]) (*op.Response, error) {
	resp, err := s.LegacyServer.Discovery(ctx, r)
	if err != nil {
		return nil, err
	}
	cfg, ok := resp.Data.(*oidc.DiscoveryConfiguration)
	if !ok {
		return nil, errors.New("discovery: unexpected document type")
	}
	cfg.Issuer = s.p.issuer
	cfg.ScopesSupported = supportedScopes
	cfg.ClaimsSupported = supportedClaims
	cfg.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
	cfg.ResponseModesSupported = []string{"query", "fragment", "form_post"}
	cfg.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken, oidc.GrantTypeClientCredentials}
	if s.p.codeExchanger() != nil {
		cfg.GrantTypesSupported = append(cfg.GrantTypesSupported, oidc.GrantTypeTokenExchange)
	}
	cfg.CodeChallengeMethodsSupported = []oidc.CodeChallengeMethod{oidc.CodeChallengeMethodS256}
	cfg.TokenEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost, oidc.AuthMethodNone}
	cfg.IntrospectionEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost}
	cfg.RevocationEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost, oidc.AuthMethodNone}
	cfg.TokenEndpointAuthSigningAlgValuesSupported = nil
	cfg.IntrospectionEndpointAuthSigningAlgValuesSupported = nil
	cfg.RevocationEndpointAuthSigningAlgValuesSupported = nil
	cfg.RequestObjectSigningAlgValuesSupported = nil
	cfg.RequestParameterSupported = false
	cfg.ClaimsParameterSupported = false
	cfg.BackChannelLogoutSupported = true
	cfg.BackChannelLogoutSessionSupported = true
	resp.Data = discovery{DiscoveryConfiguration: cfg, AuthorizationResponseIssParameterSupported: true}
	return resp, nil
}

// VerifyClient authenticates the client of a token, introspection or
// revocation request: client_secret_basic or client_secret_post for
// confidential clients, the bare client_id for public ones.
func (s *server) VerifyClient(ctx context.Context, r *op.Request[op.ClientCredentials]) (op.Client, error) {
	if r.Data.ClientAssertion != "" {
		return nil, op.NewStatusError(oidc.ErrInvalidClient().WithDescription("client assertions are not supported"), http.StatusUnauthorized)
	}
	c, err := s.p.getClient(ctx, r.Data.ClientID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, op.NewStatusError(oidc.ErrInvalidClient().WithDescription("client authentication failed"), http.StatusUnauthorized)
	}
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	if c.c.Public {
		if r.Data.ClientSecret != "" {
			return nil, op.NewStatusError(oidc.ErrInvalidClient().WithDescription("public clients have no secret"), http.StatusUnauthorized)
		}
		return c, nil
	}
	return s.p.authenticateClient(ctx, r.Data.ClientID, r.Data.ClientSecret)
}

// tokenResponse is op's token response plus session_state (= sid).
type tokenResponse struct {
	*oidc.AccessTokenResponse
	SessionState string `json:"session_state,omitempty"`
}

// CodeExchange redeems an authorization code. The code is consumed in the
// transaction that stores the tokens (storage.RedeemAuthCode); when the
// process serves nothing else, that transaction runs while the tokens are
// signed, and the answer waits for it (redemption).
func (s *server) CodeExchange(ctx context.Context, r *op.ClientRequest[oidc.AccessTokenRequest]) (*op.Response, error) {
	stored, err := s.p.codeRequest(ctx, digest(r.Data.Code))
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, oidc.ErrInvalidGrant().WithDescription("code is invalid, expired or already used")
		}
		return nil, oidc.ErrServerError().WithParent(err)
	}
	req := &authRequest{r: stored}
	if r.Client.GetID() != stored.ClientID {
		return nil, oidc.ErrInvalidGrant().WithDescription("code was issued to another client")
	}
	if r.Data.RedirectURI != stored.RedirectURI {
		return nil, oidc.ErrInvalidGrant().WithDescription("redirect_uri does not match the authorization request")
	}
	if err := checkPKCE(r.Client.(*client), stored, r.Data.CodeVerifier); err != nil {
		return nil, err
	}
	if s.p.inflight.Load() <= 1 {
		// Nothing else is being served: the redemption's round trip
		// to the database runs while this request signs its tokens.
		// Under load it runs first, as the overlap would only add a
		// goroutine to cores that have other work.
		req.redemption = newRedemption()
	}
	resp, err := s.p.tokenResponseFor(ctx, req, r.Client, r.Data.Code, "")
	if rerr := req.redemption.wait(); rerr != nil {
		return nil, rerr
	}
	if err != nil {
		return nil, err
	}
	return op.NewResponse(tokenResponse{AccessTokenResponse: resp, SessionState: stored.SessionID}), nil
}

// codeRequest loads the completed request of a code digest: from the
// codes this process issued (issuedCodes), else from storage. Either way
// the code is consumed only by the redemption (Provider.redeem).
func (p *Provider) codeRequest(ctx context.Context, codeHash []byte) (storage.AuthRequest, error) {
	now := p.now()
	if r, ok := p.codes.take(codeHash, now); ok {
		return r, nil
	}
	return p.store.GetAuthRequestByCode(ctx, codeHash, now)
}

// checkPKCE enforces RFC 7636 with S256: a request that carried a
// challenge needs the matching verifier; a verifier without a challenge is
// refused (no downgrade); clients that must use PKCE always need both.
func checkPKCE(c *client, r storage.AuthRequest, verifier string) error {
	switch {
	case r.CodeChallenge == "" && verifier == "" && !c.requiresPKCE():
		return nil
	case r.CodeChallenge == "" && verifier == "":
		return oidc.ErrInvalidGrant().WithDescription("code_verifier required")
	case r.CodeChallenge == "":
		return oidc.ErrInvalidGrant().WithDescription("code_verifier sent but no code_challenge was")
	case verifier == "":
		return oidc.ErrInvalidGrant().WithDescription("code_verifier required")
	}
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	if r.CodeChallengeMethod != string(oidc.CodeChallengeMethodS256) ||
		subtle.ConstantTimeCompare([]byte(got), []byte(r.CodeChallenge)) != 1 {
		return oidc.ErrInvalidGrant().WithDescription("code_verifier does not match code_challenge")
	}
	return nil
}

// RefreshToken rotates a refresh token. Presenting a rotated token again
// makes storage revoke its whole family; either way the answer is
// invalid_grant.
func (s *server) RefreshToken(ctx context.Context, r *op.ClientRequest[oidc.RefreshTokenRequest]) (*op.Response, error) {
	t, err := s.p.store.GetRefreshToken(ctx, digest(r.Data.RefreshToken), s.p.now())
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrTokenReused) {
			return nil, oidc.ErrInvalidGrant().WithDescription("refresh token is invalid, expired or revoked")
		}
		return nil, oidc.ErrServerError().WithParent(err)
	}
	if r.Client.GetID() != t.ClientID {
		return nil, oidc.ErrInvalidGrant().WithDescription("refresh token was issued to another client")
	}
	req := &refreshRequest{t: t, scopes: t.Scopes}
	if err := op.ValidateRefreshTokenScopes(r.Data.Scopes, req); err != nil {
		return nil, err
	}
	resp, err := s.p.tokenResponseFor(ctx, req, r.Client, "", r.Data.RefreshToken)
	if err != nil {
		return nil, err
	}
	return op.NewResponse(tokenResponse{AccessTokenResponse: resp, SessionState: t.SessionID}), nil
}

// TokenExchange refuses RFC 8693 exchanges of the standard token types;
// DingTalk codes (TokenTypeDingTalkAuthCode) never reach op and are
// exchanged by Provider.exchangeDingTalkCode.
func (s *server) TokenExchange(context.Context, *op.ClientRequest[oidc.TokenExchangeRequest]) (*op.Response, error) {
	return nil, oidc.ErrInvalidRequest().WithDescription("subject_token_type is not supported")
}

// JWTProfile refuses the JWT bearer grant, which the provider does not
// offer.
func (s *server) JWTProfile(context.Context, *op.Request[oidc.JWTProfileGrantRequest]) (*op.Response, error) {
	return nil, oidc.ErrUnsupportedGrantType().WithDescription("urn:ietf:params:oauth:grant-type:jwt-bearer not supported")
}

// Introspect answers RFC 7662 for access and refresh tokens. The caller
// must be a confidential client, and only learns about tokens issued to it
// or meant for it; anything else is {"active":false}.
func (s *server) Introspect(ctx context.Context, r *op.Request[op.IntrospectionRequest]) (*op.Response, error) {
	cc := r.Data.ClientCredentials
	if cc.ClientAssertion != "" {
		return nil, op.NewStatusError(oidc.ErrInvalidClient().WithDescription("client assertions are not supported"), http.StatusUnauthorized)
	}
	c, err := s.p.authenticateClient(ctx, cc.ClientID, cc.ClientSecret)
	if err != nil {
		return nil, err
	}
	resp := new(oidc.IntrospectionResponse)
	token := r.Data.Token
	if r.Form.Get("token_type_hint") != "refresh_token" {
		if id, sub, ok := s.p.decodeAccessToken(ctx, token); ok {
			t, err := s.p.store.GetAccessToken(ctx, id, s.p.now())
			if err == nil && t.Subject == sub && mayIntrospect(c.c.ID, t.ClientID, t.Audience) {
				s.p.describeAccessToken(resp, t)
			}
			return op.NewResponse(resp), nil
		}
	}
	t, err := s.p.store.GetRefreshToken(ctx, digest(token), s.p.now())
	if err == nil && t.ClientID == c.c.ID {
		s.p.describeRefreshToken(resp, t)
	}
	return op.NewResponse(resp), nil
}

// Revocation answers RFC 7009: a refresh token revokes its family and the
// access tokens issued from it, an access token only itself, and an
// unknown token is not an error.
func (s *server) Revocation(ctx context.Context, r *op.ClientRequest[oidc.RevocationRequest]) (*op.Response, error) {
	clientID := r.Client.GetID()
	token := r.Data.Token
	if r.Data.TokenTypeHint != "access_token" {
		found, oerr := s.p.revokeRefreshToken(ctx, token, clientID)
		if oerr != nil {
			return nil, op.RevocationError(oerr)
		}
		if found {
			return op.NewResponse(nil), nil
		}
	}
	if id, _, ok := s.p.decodeAccessToken(ctx, token); ok {
		if oerr := s.p.revokeAccessToken(ctx, id, clientID); oerr != nil {
			return nil, op.RevocationError(oerr)
		}
		return op.NewResponse(nil), nil
	}
	if r.Data.TokenTypeHint == "access_token" {
		if _, oerr := s.p.revokeRefreshToken(ctx, token, clientID); oerr != nil {
			return nil, op.RevocationError(oerr)
		}
	}
	return op.NewResponse(nil), nil
}

// EndSession is RP-initiated logout; see Provider.endSession.
func (s *server) EndSession(ctx context.Context, r *op.Request[oidc.EndSessionRequest]) (*op.Redirect, error) {
	return s.p.endSession(ctx, r)
}
