package provider

import (
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/dingbridge/dingbridge/storage"
)

// authRequest adapts a storage.AuthRequest to op.AuthRequest.
type authRequest struct {
	r storage.AuthRequest
	// redemption, when set, makes the code's redemption run beside the
	// signing of its tokens (see Provider.redeem).
	redemption *redemption
}

var _ op.AuthRequest = (*authRequest)(nil)

func (a *authRequest) GetID() string                      { return a.r.ID }
func (a *authRequest) GetACR() string                     { return "" }
func (a *authRequest) GetAMR() []string                   { return a.r.AMR }
func (a *authRequest) GetAudience() []string              { return []string{a.r.ClientID} }
func (a *authRequest) GetAuthTime() time.Time             { return a.r.AuthTime }
func (a *authRequest) GetClientID() string                { return a.r.ClientID }
func (a *authRequest) GetNonce() string                   { return a.r.Nonce }
func (a *authRequest) GetRedirectURI() string             { return a.r.RedirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType { return oidc.ResponseType(a.r.ResponseType) }
func (a *authRequest) GetResponseMode() oidc.ResponseMode { return oidc.ResponseMode(a.r.ResponseMode) }
func (a *authRequest) GetScopes() []string                { return a.r.Scopes }
func (a *authRequest) GetState() string                   { return a.r.State }
func (a *authRequest) GetSubject() string                 { return a.r.Subject }
func (a *authRequest) Done() bool                         { return a.r.Done }
func (a *authRequest) sessionID() string                  { return a.r.SessionID }

func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.r.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{
		Challenge: a.r.CodeChallenge,
		Method:    oidc.CodeChallengeMethod(a.r.CodeChallengeMethod),
	}
}

// refreshRequest adapts a stored refresh token to op.RefreshTokenRequest.
type refreshRequest struct {
	t      storage.RefreshToken
	scopes []string
}

var _ op.RefreshTokenRequest = (*refreshRequest)(nil)

func (r *refreshRequest) GetAMR() []string       { return r.t.AMR }
func (r *refreshRequest) GetAudience() []string  { return r.t.Audience }
func (r *refreshRequest) GetAuthTime() time.Time { return r.t.AuthTime }
func (r *refreshRequest) GetClientID() string    { return r.t.ClientID }
func (r *refreshRequest) GetScopes() []string    { return r.scopes }
func (r *refreshRequest) GetSubject() string     { return r.t.Subject }
func (r *refreshRequest) sessionID() string      { return r.t.SessionID }

// SetCurrentScopes narrows the scopes of the tokens about to be issued;
// the family keeps the scopes it was granted.
func (r *refreshRequest) SetCurrentScopes(scopes []string) { r.scopes = scopes }

// clientCredentialsRequest is the op.TokenRequest of a client_credentials
// grant: the client is its own subject.
type clientCredentialsRequest struct {
	clientID string
	scopes   []string
}

var _ op.TokenRequest = (*clientCredentialsRequest)(nil)

func (r *clientCredentialsRequest) GetSubject() string    { return r.clientID }
func (r *clientCredentialsRequest) GetAudience() []string { return []string{r.clientID} }
func (r *clientCredentialsRequest) GetScopes() []string   { return r.scopes }

// sessionBound is a request that carries a browser session ID (for sid).
type sessionBound interface{ sessionID() string }
