package provider

import (
	"context"
	"net/http"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// tokenResponseFor issues the tokens of a code (code set) or refresh
// (refreshToken set) grant as op.CreateTokenResponse does — an access
// token (with a refresh token when the grant gives one) and an ID token
// — with the ID token built by idToken.
func (p *Provider) tokenResponseFor(ctx context.Context, req op.IDTokenRequest, c op.Client, code, refreshToken string) (*oidc.AccessTokenResponse, error) {
	access, refresh, validity, err := op.CreateAccessToken(ctx, req, c.AccessTokenType(), p.op, c, refreshToken)
	if err != nil {
		return nil, err
	}
	idToken, err := p.idToken(ctx, req, c, access, code)
	if err != nil {
		return nil, err
	}
	return &oidc.AccessTokenResponse{
		AccessToken:  access,
		IDToken:      idToken,
		RefreshToken: refresh,
		TokenType:    oidc.BearerToken,
		ExpiresIn:    uint64(validity.Seconds()),
		Scope:        req.GetScopes(),
	}, nil
}

// idToken signs the ID token of req, with the claims op.CreateIDToken
// gives it: iss, sub, aud, exp, iat, auth_time, nonce, acr, amr, azp,
// at_hash and c_hash, sid, and the scopes' claims when the client's policy
// puts them in the ID token (opStorage.SetUserinfoFromRequest). sid is set
// as the registered claim it is, so the claims encode in one pass
// (marshalIDToken), and the token is signed by signJWT.
func (p *Provider) idToken(ctx context.Context, req op.IDTokenRequest, c op.Client, accessToken, code string) (string, error) {
	exp := time.Now().UTC().Add(c.ClockSkew()).Add(c.IDTokenLifetime())
	var acr, nonce string
	if ar, ok := req.(op.AuthRequest); ok {
		acr, nonce = ar.GetACR(), ar.GetNonce()
	}
	claims := oidc.NewIDTokenClaims(p.issuer, req.GetSubject(), req.GetAudience(), exp, req.GetAuthTime(),
		nonce, acr, req.GetAMR(), req.GetClientID(), c.ClockSkew())
	scopes := c.RestrictAdditionalIdTokenScopes()(req.GetScopes())
	key, err := p.keys.SigningKey(ctx)
	if err != nil {
		return "", err
	}
	if accessToken != "" {
		if claims.AccessTokenHash, err = oidc.ClaimHash(accessToken, key.SignatureAlgorithm()); err != nil {
			return "", err
		}
		if !c.IDTokenUserinfoClaimsAssertion() {
			scopes = withoutUserinfoScopes(scopes)
		}
	}
	if len(scopes) > 0 {
		info := new(oidc.UserInfo)
		if err := p.opStore.SetUserinfoFromRequest(ctx, info, req, scopes); err != nil {
			return "", err
		}
		claims.SetUserInfo(info)
		if sid, ok := claims.Claims["sid"].(string); ok {
			claims.SessionID = sid
			delete(claims.Claims, "sid")
		}
	}
	if code != "" {
		if claims.CodeHash, err = oidc.ClaimHash(code, key.SignatureAlgorithm()); err != nil {
			return "", err
		}
	}
	payload, err := marshalIDToken(claims)
	if err != nil {
		return "", err
	}
	return signJWT(key, payload)
}

// withoutUserinfoScopes drops the scopes whose claims op leaves to
// userinfo when an access token is issued with the ID token.
func withoutUserinfoScopes(scopes []string) []string {
	out := make([]string, 0, len(scopes))
	for _, s := range scopes {
		switch s {
		case oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopeAddress, oidc.ScopePhone:
		default:
			out = append(out, s)
		}
	}
	return out
}

// userInfo answers as op's LegacyServer.UserInfo does, with the
// response encoded by userInfoJSON; UserInfo maps its errors.
func (s *server) userInfo(ctx context.Context, r *op.Request[oidc.UserInfoRequest]) (*op.Response, error) {
	id, subject, ok := s.p.decodeAccessToken(ctx, r.Data.AccessToken)
	if !ok {
		return nil, op.NewStatusError(oidc.ErrAccessDenied().WithDescription("access token invalid"), http.StatusUnauthorized)
	}
	info := new(oidc.UserInfo)
	if err := s.p.opStore.SetUserinfoFromToken(ctx, info, id, subject, r.Header.Get("Origin")); err != nil {
		return nil, op.NewStatusError(err, http.StatusForbidden)
	}
	return op.NewResponse(userInfoJSON{info}), nil
}
