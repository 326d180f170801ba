package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/dingbridge/dingbridge/storage"
)

// newIssue builds the token records one token response stores. Refresh
// tokens are bound to the login's session like access tokens, so refreshed
// ID tokens keep its sid and logging out revokes them; a family keeps the
// scopes it was granted even when a refresh narrows the scopes of one
// response.
func (p *Provider) newIssue(ctx context.Context, req op.TokenRequest, withRefresh bool, familyID string) (storage.TokenIssue, string, error) {
	var (
		clientID, sessionID string
		at                  storage.AccessToken
		grantedScopes       = req.GetScopes()
	)
	switch r := req.(type) {
	case *authRequest:
		clientID, sessionID = r.r.ClientID, r.r.SessionID
		at.AuthTime, at.AMR = r.r.AuthTime, r.r.AMR
	case *refreshRequest:
		clientID, sessionID = r.t.ClientID, r.t.SessionID
		at.AuthTime, at.AMR = r.t.AuthTime, r.t.AMR
		grantedScopes = r.t.Scopes
	case *clientCredentialsRequest:
		clientID = r.clientID
	case *exchangeRequest:
		clientID, sessionID = r.clientID, r.session
		at.AuthTime, at.AMR = r.authTime, r.amr
	default:
		return storage.TokenIssue{}, "", fmt.Errorf("issue tokens: unexpected request type %T", req)
	}
	c, err := p.getClient(ctx, clientID)
	if err != nil {
		return storage.TokenIssue{}, "", fmt.Errorf("issue tokens: %w", err)
	}
	now := p.now().UTC()
	at.ID = randomString(16)
	at.ClientID = clientID
	at.Subject = req.GetSubject()
	at.Audience = req.GetAudience()
	at.Scopes = req.GetScopes()
	at.SessionID = sessionID
	at.CreatedAt = now
	at.ExpiresAt = now.Add(c.accessTokenTTL())
	// Only a client that is told of a session's end needs the session to
	// remember it.
	issue := storage.TokenIssue{Access: at, LinkSession: c.c.BackchannelLogoutURI != ""}
	if !withRefresh {
		return issue, "", nil
	}
	if familyID == "" {
		familyID = randomString(16)
	}
	value := newToken()
	issue.Access.FamilyID = familyID
	issue.Refresh = &storage.RefreshToken{
		ID:        randomString(16),
		TokenHash: digest(value),
		FamilyID:  familyID,
		ClientID:  clientID,
		Subject:   at.Subject,
		Audience:  at.Audience,
		Scopes:    grantedScopes,
		AuthTime:  at.AuthTime,
		AMR:       at.AMR,
		SessionID: sessionID,
		CreatedAt: now,
		ExpiresAt: now.Add(c.refreshTokenTTL()),
	}
	return issue, value, nil
}

// redeem consumes the request's code and stores the tokens in one
// transaction; a code that was already redeemed, expired or never issued
// is invalid_grant. When the request carries a redemption (the token
// endpoint's code exchange), the transaction runs beside the signing of
// the tokens and redeem returns at once; the exchange waits for it before
// it answers (see redemption).
func (p *Provider) redeem(ctx context.Context, r *authRequest, issue storage.TokenIssue) error {
	if r.redemption != nil {
		r.redemption.start(func() error { return p.redeemNow(ctx, r, issue) })
		return nil
	}
	return p.redeemNow(ctx, r, issue)
}

func (p *Provider) redeemNow(ctx context.Context, r *authRequest, issue storage.TokenIssue) error {
	err := p.store.RedeemAuthCode(ctx, r.r.CodeHash, p.now(), issue)
	if errors.Is(err, storage.ErrNotFound) {
		return oidc.ErrInvalidGrant().WithDescription("code is invalid, expired or already used")
	}
	if err != nil {
		return fmt.Errorf("redeem code: %w", err)
	}
	return nil
}

// authenticateClient checks a confidential client's secret, comparing
// SHA-256 digests in constant time. Any failure is invalid_client with
// status 401.
func (p *Provider) authenticateClient(ctx context.Context, id, secret string) (*client, error) {
	invalid := op.NewStatusError(oidc.ErrInvalidClient().WithDescription("client authentication failed"), http.StatusUnauthorized)
	c, err := p.getClient(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, invalid
	}
	if err != nil {
		return nil, fmt.Errorf("get client: %w", err)
	}
	if c.c.Public || !secretMatches(c.c, secret) {
		return nil, invalid
	}
	return c, nil
}

// decodeAccessToken returns the ID and subject inside an access token we
// issued: opaque tokens are decrypted, JWTs verified.
func (p *Provider) decodeAccessToken(ctx context.Context, token string) (id, subject string, ok bool) {
	if plain, err := p.op.Crypto().Decrypt(token); err == nil {
		id, subject, ok = strings.Cut(plain, ":")
		return id, subject, ok
	}
	verifier := op.NewAccessTokenVerifier(p.issuer, p.keys)
	claims, err := op.VerifyAccessToken[*oidc.AccessTokenClaims](ctx, token, verifier)
	if err != nil {
		return "", "", false
	}
	return claims.JWTID, claims.Subject, true
}

// revokeAccessToken deletes an access token of clientID by ID.
func (p *Provider) revokeAccessToken(ctx context.Context, id, clientID string) *oidc.Error {
	t, err := p.store.GetAccessToken(ctx, id, p.now())
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	if t.ClientID != clientID {
		return oidc.ErrUnauthorizedClient().WithDescription("token was issued to another client")
	}
	if err := p.store.RevokeAccessToken(ctx, id); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return oidc.ErrServerError().WithParent(err)
	}
	return nil
}

// revokeRefreshToken revokes the family of a refresh token of clientID
// and the access tokens issued from it. found is false when the value is
// not a live refresh token; a rotated one counts as found, since
// presenting it has already revoked its family.
func (p *Provider) revokeRefreshToken(ctx context.Context, token, clientID string) (found bool, _ *oidc.Error) {
	t, err := p.store.GetRefreshToken(ctx, digest(token), p.now())
	switch {
	case errors.Is(err, storage.ErrTokenReused):
		return true, nil
	case errors.Is(err, storage.ErrNotFound):
		return false, nil
	case err != nil:
		return false, oidc.ErrServerError().WithParent(err)
	}
	if t.ClientID != clientID {
		return true, oidc.ErrUnauthorizedClient().WithDescription("token was issued to another client")
	}
	if err := p.store.RevokeRefreshFamily(ctx, t.FamilyID); err != nil {
		return true, oidc.ErrServerError().WithParent(err)
	}
	return true, nil
}

// describeAccessToken fills an active introspection response.
func (p *Provider) describeAccessToken(resp *oidc.IntrospectionResponse, t storage.AccessToken) {
	resp.Active = true
	resp.Scope = t.Scopes
	resp.ClientID = t.ClientID
	resp.TokenType = oidc.BearerToken
	resp.Expiration = oidc.FromTime(t.ExpiresAt)
	resp.IssuedAt = oidc.FromTime(t.CreatedAt)
	if !t.AuthTime.IsZero() {
		resp.AuthTime = oidc.FromTime(t.AuthTime)
	}
	resp.Subject = t.Subject
	resp.Audience = t.Audience
	resp.AuthenticationMethodsReferences = t.AMR
	resp.Issuer = p.issuer
	resp.JWTID = t.ID
}

// describeRefreshToken fills an active introspection response.
func (p *Provider) describeRefreshToken(resp *oidc.IntrospectionResponse, t storage.RefreshToken) {
	resp.Active = true
	resp.Scope = t.Scopes
	resp.ClientID = t.ClientID
	resp.TokenType = "refresh_token"
	resp.Expiration = oidc.FromTime(t.ExpiresAt)
	resp.IssuedAt = oidc.FromTime(t.CreatedAt)
	if !t.AuthTime.IsZero() {
		resp.AuthTime = oidc.FromTime(t.AuthTime)
	}
	resp.Subject = t.Subject
	resp.Audience = t.Audience
	resp.Issuer = p.issuer
}

// redemption is a code's redemption running beside the signing of its
// tokens. The token endpoint's answer waits for it: the tokens, signed or
// not, leave the process only once the database has consumed the code and
// stored them, and are dropped when it refused. Only the code exchange
// uses one, after client authentication, the redirect URI and PKCE have
// passed, so a signature spent on a code that loses its redemption takes a
// request that a client could have made anyway.
type redemption struct {
	mu      sync.Mutex
	started bool
	done    chan struct{}
	err     error
}

func newRedemption() *redemption { return &redemption{done: make(chan struct{})} }

// start runs redeem in its own goroutine; only the first call runs.
func (r *redemption) start(redeem func() error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started {
		return
	}
	r.started = true
	go func() {
		r.err = redeem()
		close(r.done)
	}()
}

// wait returns the redemption's outcome, nil when there is none or it
// never started (the exchange failed before its tokens were stored).
func (r *redemption) wait() error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	started := r.started
	r.mu.Unlock()
	if !started {
		return nil
	}
	<-r.done
	return r.err
}
