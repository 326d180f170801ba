package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/dingbridge/dingbridge/storage"
)

// opStorage implements op.Storage over storage.Storage. The protocol
// decisions (which tokens a request gets, how long they live, what a
// client may see) are made here; storage only saves and loads.
type opStorage struct{ p *Provider }

var (
	_ op.Storage                   = (*opStorage)(nil)
	_ op.ClientCredentialsStorage  = (*opStorage)(nil)
	_ op.CanSetUserinfoFromRequest = (*opStorage)(nil)
)

// errUnsupported marks op.Storage methods for features the provider does
// not offer (JWT profile grant, private_key_jwt).
var errUnsupported = errors.New("not supported by this provider")

// CreateAuthRequest stores an authorization request op parsed. The
// provider's own authorize handler does not come here: it holds its
// requests sealed until their logins end (authreqs.go) and keeps extra
// parameters.
func (s *opStorage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, hintSubject string) (op.AuthRequest, error) {
	r := s.p.newAuthRequest(req, hintSubject, nil)
	if err := s.p.store.CreateAuthRequest(ctx, r); err != nil {
		return nil, fmt.Errorf("create auth request: %w", err)
	}
	return &authRequest{r: r}, nil
}

// AuthRequestByID loads a request by its handle (authreqs.go): a pending
// sealed request is returned as it is, not stored. op calls it only from
// its own authorization callback, which the provider replaces
// (Provider.authorizeCallback).
func (s *opStorage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	h, err := s.p.loadAuthRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	return &authRequest{r: h.AuthRequest}, nil
}

func (s *opStorage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	r, err := s.p.store.GetAuthRequestByCode(ctx, digest(code), s.p.now())
	if err != nil {
		return nil, fmt.Errorf("get auth request by code: %w", err)
	}
	return &authRequest{r: r}, nil
}

func (s *opStorage) SaveAuthCode(ctx context.Context, id, code string) error {
	return s.p.store.SaveAuthCode(ctx, id, digest(code), s.p.now().Add(s.p.cfg.CodeTTL))
}

// DeleteAuthRequest does nothing: op calls it after issuing tokens for a
// code, and by then storage.RedeemAuthCode has already spent the code in
// the transaction that stored the tokens; the request itself stays until
// it expires (see authreqs.go).
func (s *opStorage) DeleteAuthRequest(context.Context, string) error { return nil }

func (s *opStorage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	issue, _, err := s.p.newIssue(ctx, req, false, "")
	if err != nil {
		return "", time.Time{}, err
	}
	switch r := req.(type) {
	case *authRequest:
		err = s.p.redeem(ctx, r, issue)
	case *clientCredentialsRequest:
		err = s.p.store.CreateTokens(ctx, issue)
	default:
		return "", time.Time{}, fmt.Errorf("create access token: unexpected request type %T", req)
	}
	if err != nil {
		return "", time.Time{}, err
	}
	return issue.Access.ID, issue.Access.ExpiresAt, nil
}

func (s *opStorage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	var familyID string
	if r, ok := req.(*refreshRequest); ok {
		familyID = r.t.FamilyID
	}
	issue, refresh, err := s.p.newIssue(ctx, req, true, familyID)
	if err != nil {
		return "", "", time.Time{}, err
	}
	if issue.Refresh == nil {
		return "", "", time.Time{}, fmt.Errorf("create refresh token: unexpected request type %T", req)
	}
	switch r := req.(type) {
	case *authRequest:
		err = s.p.redeem(ctx, r, issue)
	case *refreshRequest:
		err = s.p.store.RotateRefreshToken(ctx, digest(current), s.p.now(), issue)
		if errors.Is(err, storage.ErrTokenReused) || errors.Is(err, storage.ErrNotFound) {
			err = oidc.ErrInvalidGrant().WithDescription("refresh token is invalid, expired or revoked").WithParent(err)
		}
	default:
		err = fmt.Errorf("create refresh token: unexpected request type %T", req)
	}
	if err != nil {
		return "", "", time.Time{}, err
	}
	return issue.Access.ID, refresh, issue.Access.ExpiresAt, nil
}

func (s *opStorage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	t, err := s.p.store.GetRefreshToken(ctx, digest(token), s.p.now())
	if err != nil {
		return nil, fmt.Errorf("get refresh token: %w", err)
	}
	return &refreshRequest{t: t, scopes: t.Scopes}, nil
}

// TerminateSession is op's logout hook by user and client. The provider
// ends sessions by session ID in its own end_session handler
// (server.EndSession), so op never calls this; it reports that.
func (s *opStorage) TerminateSession(context.Context, string, string) error {
	return fmt.Errorf("terminate session by user: %w", errUnsupported)
}

// RevokeToken revokes an access token by ID when userID is set, otherwise
// the refresh token's whole family. Unknown tokens are not an error
// (RFC 7009); a token of another client is.
func (s *opStorage) RevokeToken(ctx context.Context, tokenOrID, userID, clientID string) *oidc.Error {
	if userID != "" {
		return s.p.revokeAccessToken(ctx, tokenOrID, clientID)
	}
	_, err := s.p.revokeRefreshToken(ctx, tokenOrID, clientID)
	return err
}

// GetRefreshTokenInfo identifies a refresh token of clientID.
func (s *opStorage) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	t, err := s.p.store.GetRefreshToken(ctx, digest(token), s.p.now())
	if err != nil || t.ClientID != clientID {
		return "", "", op.ErrInvalidRefreshToken
	}
	return t.Subject, t.ID, nil
}

func (s *opStorage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	return s.p.keys.SigningKey(ctx)
}

func (s *opStorage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{s.p.keys.alg}, nil
}

func (s *opStorage) KeySet(ctx context.Context) ([]op.Key, error) { return s.p.keys.KeySet(ctx) }

func (s *opStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.p.getClient(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, oidc.ErrInvalidClient().WithDescription("unknown client")
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (s *opStorage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	_, err := s.p.authenticateClient(ctx, id, secret)
	return err
}

// SetUserinfoFromScopes is deprecated in op in favour of
// SetUserinfoFromRequest, which does the work.
func (s *opStorage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's claims: sid when the
// request is bound to a session, and the claims of the request's scopes
// only when the client's policy asks for them in the ID token
// (ClaimsInIDToken); otherwise they are at userinfo only.
func (s *opStorage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, _ []string) error {
	var sid string
	if sb, ok := req.(sessionBound); ok {
		sid = sb.sessionID()
	}
	c, err := s.p.store.GetClient(ctx, req.GetClientID())
	if err != nil {
		return fmt.Errorf("get client: %w", err)
	}
	info.Subject = req.GetSubject()
	if c.Policy.ClaimsInIDToken {
		if err := s.p.fillUserinfo(ctx, info, req.GetSubject(), req.GetClientID(), sid, req.GetScopes()); err != nil {
			return err
		}
	}
	if sid != "" {
		info.AppendClaims("sid", sid)
	}
	return nil
}

// SetUserinfoFromToken answers userinfo from one storage read
// (storage.GetAccessTokenUser: the token with its user, bindings and
// session). When that read finds nothing (the token is unknown, expired or
// revoked, or has no user, as client credentials tokens have none) or
// fails, the token is read alone and judged as such: unusable or of
// another subject is access_denied, without openid insufficient_scope, and
// a token whose user cannot be read an error.
func (s *opStorage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	tu, err := s.p.store.GetAccessTokenUser(ctx, tokenID, s.p.now())
	if err != nil {
		return s.userinfoFromTokenAlone(ctx, info, tokenID, subject)
	}
	if err := userinfoTokenError(tu.Token, subject); err != nil {
		return err
	}
	return s.p.fillTokenUserinfo(ctx, info, tu)
}

// userinfoFromTokenAlone answers userinfo from separate reads of the
// token, user, bindings and session.
func (s *opStorage) userinfoFromTokenAlone(ctx context.Context, info *oidc.UserInfo, tokenID, subject string) error {
	t, err := s.p.store.GetAccessToken(ctx, tokenID, s.p.now())
	if err != nil {
		return oidc.ErrAccessDenied().WithDescription("access token invalid")
	}
	if err := userinfoTokenError(t, subject); err != nil {
		return err
	}
	return s.p.fillUserinfo(ctx, info, t.Subject, t.ClientID, t.SessionID, t.Scopes)
}

// userinfoTokenError refuses a stored access token at userinfo: one of
// another subject than op decoded, or one without the openid scope.
func userinfoTokenError(t storage.AccessToken, subject string) error {
	if t.Subject != subject {
		return oidc.ErrAccessDenied().WithDescription("access token invalid")
	}
	if !slices.Contains(t.Scopes, oidc.ScopeOpenID) {
		return &oidc.Error{ErrorType: "insufficient_scope", Description: "access token lacks the openid scope"}
	}
	return nil
}

func (s *opStorage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	t, err := s.p.store.GetAccessToken(ctx, tokenID, s.p.now())
	if err != nil || t.Subject != subject || !mayIntrospect(clientID, t.ClientID, t.Audience) {
		return oidc.ErrInvalidRequest().WithDescription("token inactive")
	}
	s.p.describeAccessToken(resp, t)
	return nil
}

// GetPrivateClaimsFromScopes adds no claims beyond the standard ones to
// JWT access tokens.
func (s *opStorage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID serves private_key_jwt client authentication,
// which the provider does not offer.
func (s *opStorage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, fmt.Errorf("client keys: %w", errUnsupported)
}

// ValidateJWTProfileScopes serves the JWT profile grant, which the
// provider does not offer.
func (s *opStorage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, fmt.Errorf("jwt profile grant: %w", errUnsupported)
}

func (s *opStorage) Health(ctx context.Context) error { return s.p.store.Ping(ctx) }

// ClientCredentials authenticates a client for the client_credentials
// grant.
func (s *opStorage) ClientCredentials(ctx context.Context, id, secret string) (op.Client, error) {
	c, err := s.p.authenticateClient(ctx, id, secret)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(c.c.GrantTypes, grantClientCredentials) {
		return nil, oidc.ErrUnauthorizedClient().WithDescription("client_credentials not allowed for this client")
	}
	return c, nil
}

// ClientCredentialsTokenRequest keeps the requested scopes the client may
// have that make sense without a person (no openid, no offline_access).
func (s *opStorage) ClientCredentialsTokenRequest(ctx context.Context, clientID string, scopes []string) (op.TokenRequest, error) {
	c, err := s.p.getClient(ctx, clientID)
	if err != nil {
		return nil, oidc.ErrInvalidClient().WithParent(err)
	}
	var kept []string
	for _, sc := range c.filterScopes(scopes) {
		if sc != oidc.ScopeOpenID && sc != oidc.ScopeOfflineAccess {
			kept = append(kept, sc)
		}
	}
	return &clientCredentialsRequest{clientID: clientID, scopes: kept}, nil
}

func mayIntrospect(caller, owner string, audience []string) bool {
	return caller == owner || slices.Contains(audience, caller)
}
