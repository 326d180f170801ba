package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/rs/cors"
	httphelper "github.com/zitadel/oidc/v3/pkg/http"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/dingbridge/dingbridge/dingtalk"
	"github.com/dingbridge/dingbridge/storage"
)

// TokenTypeDingTalkAuthCode is the RFC 8693 subject_token_type of a
// DingTalk in-app code (a mini program's dd.getAuthCode authCode). A
// mini program's backend posts it to the token endpoint:
//
//	POST /oauth/token
//	grant_type=urn:ietf:params:oauth:grant-type:token-exchange
//	subject_token=<authCode>
//	subject_token_type=urn:dingbridge:params:oauth:token-type:dingtalk-auth-code
//	corp_id=<dd.corpId>
//	scope=openid profile …
//
// with client authentication (a public client sends client_id only).
const TokenTypeDingTalkAuthCode = "urn:dingbridge:params:oauth:token-type:dingtalk-auth-code"

// grantTokenExchange is the RFC 8693 grant type; a client must list it in
// GrantTypes to exchange DingTalk codes.
const grantTokenExchange = string(oidc.GrantTypeTokenExchange)

// CodeExchanger resolves DingTalk in-app codes posted to the token
// endpoint (Config.CodeExchanger, Provider.SetCodeExchanger).
type CodeExchanger interface {
	// ExchangeDingTalkCode resolves a dd.getAuthCode code for a client and
	// applies the client's policy. The error decides the client's answer:
	// an *oidc.Error is sent as it is; one that wraps ErrRefused (the
	// person may not use this client) or dingtalk.KindCodeInvalid is
	// invalid_grant; dingtalk.KindThrottled or KindTransient is
	// temporarily_unavailable (503); anything else is server_error.
	ExchangeDingTalkCode(ctx context.Context, x CodeExchange) (Finish, error)
}

// CodeExchange is one DingTalk code to resolve for a client.
type CodeExchange struct {
	ClientID string
	// CorpID is the corp_id form parameter (the mini program's
	// dd.corpId); empty when the client did not send it.
	CorpID string
	// Code is the one-time DingTalk code (subject_token).
	Code   string
	Policy storage.ClientPolicy
}

// ErrRefused is wrapped by CodeExchanger errors that refuse a person under
// the client's policy (corp not allowed, not a member, inactive, outside
// the required departments).
var ErrRefused = errors.New("provider: refused by the client's policy")

// corsOptions lets browsers call the token, userinfo and key endpoints
// from other origins, but never with our cookies.
var corsOptions = cors.Options{
	AllowOriginFunc: func(string) bool { return true },
	AllowedHeaders:  []string{"Origin", "Accept", "Accept-Language", "Authorization", "Content-Type"},
	AllowedMethods:  []string{http.MethodGet, http.MethodHead, http.MethodPost},
}

// tokenEndpoint routes token exchanges of DingTalk codes to the provider
// (op accepts only the standard RFC 8693 token types) and everything else
// to op. Every answer, tokens or error, is marked uncacheable (RFC 6749
// section 5.1).
func (p *Provider) tokenEndpoint(opHandler http.Handler) http.Handler {
	exchange := cors.New(corsOptions).Handler(http.HandlerFunc(p.exchangeDingTalkCode))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		if err := r.ParseForm(); err == nil &&
			r.Form.Get("grant_type") == grantTokenExchange && r.Form.Get("subject_token_type") == TokenTypeDingTalkAuthCode {
			exchange.ServeHTTP(w, r)
			return
		}
		opHandler.ServeHTTP(w, r)
	})
}

// exchangeResponse is the RFC 8693 answer: the code grant's response plus
// issued_token_type.
type exchangeResponse struct {
	*oidc.AccessTokenResponse
	IssuedTokenType oidc.TokenType `json:"issued_token_type"`
	SessionState    string         `json:"session_state,omitempty"`
}

// exchangeDingTalkCode answers a token exchange of a DingTalk code: the
// client is authenticated and must have the token-exchange grant, the
// CodeExchanger resolves the person, the login is committed like a
// browser login (user, binding and a session, so the tokens carry sid),
// and the answer is that of the code grant.
func (p *Provider) exchangeDingTalkCode(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	resp, err := p.dingTalkCodeExchange(ctx, r)
	if err != nil {
		var oerr *oidc.Error
		if !errors.As(err, &oerr) || oerr.ErrorType == oidc.ServerError {
			p.logger(ctx).ErrorContext(ctx, "token exchange", "err", err)
		}
		op.WriteError(w, r, err, p.logger(ctx))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	httphelper.MarshalJSON(w, resp)
}

func (p *Provider) dingTalkCodeExchange(ctx context.Context, r *http.Request) (*exchangeResponse, error) {
	c, err := p.exchangeClient(ctx, r)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(c.c.GrantTypes, grantTokenExchange) {
		return nil, oidc.ErrUnauthorizedClient().WithDescription("client may not use the token exchange grant")
	}
	exchanger := p.codeExchanger()
	if exchanger == nil {
		return nil, oidc.ErrInvalidRequest().WithDescription("subject_token_type is not supported")
	}
	form := r.Form
	code := form.Get("subject_token")
	switch {
	case code == "":
		return nil, oidc.ErrInvalidRequest().WithDescription("subject_token missing")
	case form.Get("actor_token") != "" || form.Get("actor_token_type") != "":
		return nil, oidc.ErrInvalidRequest().WithDescription("actor tokens are not supported")
	case form.Get("requested_token_type") != "" && form.Get("requested_token_type") != string(oidc.AccessTokenType):
		return nil, oidc.ErrInvalidRequest().WithDescription("requested_token_type must be %s", oidc.AccessTokenType)
	}
	for _, aud := range append(form["audience"], form["resource"]...) {
		if aud != c.c.ID {
			return nil, &oidc.Error{ErrorType: oidc.InvalidTarget, Description: "tokens are only issued for the client itself"}
		}
	}
	scopes := strings.Fields(form.Get("scope"))
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID}
	}
	scopes = c.filterScopes(scopes)

	f, err := exchanger.ExchangeDingTalkCode(ctx, CodeExchange{
		ClientID: c.c.ID, CorpID: form.Get("corp_id"), Code: code, Policy: c.c.Policy,
	})
	if err != nil {
		return nil, exchangeError(err)
	}
	if f.Identity == nil && f.Subject == "" {
		return nil, oidc.ErrServerError().WithParent(errors.New("code exchanger returned neither identity nor subject"))
	}
	if corps := c.c.Policy.AllowedCorps; len(corps) > 0 && !slices.Contains(corps, f.CorpID) {
		return nil, oidc.ErrInvalidGrant().WithDescription("the person may not use this client")
	}
	session, u, err := p.openSession(ctx, f)
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	req := &exchangeRequest{
		clientID: c.c.ID, subject: u.Subject, scopes: scopes,
		session: session.ID, authTime: session.AuthTime, amr: session.AMR,
	}
	tokens, err := p.exchangeTokens(ctx, c, req)
	if err != nil {
		return nil, err
	}
	p.logger(ctx).InfoContext(ctx, "dingtalk code exchanged", "client_id", c.c.ID)
	return &exchangeResponse{AccessTokenResponse: tokens, IssuedTokenType: oidc.AccessTokenType, SessionState: session.ID}, nil
}

// exchangeClient authenticates the client of a token exchange as the
// other grants do (server.VerifyClient): client_secret_basic or
// client_secret_post, or the bare client_id of a public client.
func (p *Provider) exchangeClient(ctx context.Context, r *http.Request) (*client, error) {
	cc := op.ClientCredentials{
		ClientID:        r.Form.Get("client_id"),
		ClientSecret:    r.Form.Get("client_secret"),
		ClientAssertion: r.Form.Get("client_assertion"),
	}
	if id, secret, ok := r.BasicAuth(); ok {
		if cc.ClientSecret != "" || cc.ClientAssertion != "" {
			return nil, oidc.ErrInvalidRequest().WithDescription("client authentication must not use more than one method")
		}
		var err error
		if cc.ClientID, err = url.QueryUnescape(id); err == nil {
			cc.ClientSecret, err = url.QueryUnescape(secret)
		}
		if err != nil {
			return nil, op.NewStatusError(oidc.ErrInvalidClient().WithDescription("invalid basic auth header"), http.StatusUnauthorized)
		}
	}
	if cc.ClientID == "" {
		return nil, oidc.ErrInvalidRequest().WithDescription("client_id must be provided")
	}
	oc, err := p.server.VerifyClient(ctx, &op.Request[op.ClientCredentials]{
		Method: r.Method, URL: r.URL, Header: r.Header, Form: r.Form, PostForm: r.PostForm, Data: &cc,
	})
	if err != nil {
		return nil, err
	}
	c, ok := oc.(*client)
	if !ok {
		return nil, oidc.ErrServerError().WithParent(fmt.Errorf("unexpected client type %T", oc))
	}
	return c, nil
}

// exchangeError maps a CodeExchanger error to the client's answer.
func exchangeError(err error) error {
	var oerr *oidc.Error
	switch {
	case errors.As(err, &oerr):
		return oerr
	case errors.Is(err, ErrRefused):
		return oidc.ErrInvalidGrant().WithDescription("the person may not use this client").WithParent(err)
	case errors.Is(err, dingtalk.KindCodeInvalid):
		return oidc.ErrInvalidGrant().WithDescription("the DingTalk code is invalid, expired or already used").WithParent(err)
	case errors.Is(err, dingtalk.KindNotMember):
		return oidc.ErrInvalidGrant().WithDescription("the person is not a member of the organisation or outside the app's visible range").WithParent(err)
	case errors.Is(err, dingtalk.KindThrottled), errors.Is(err, dingtalk.KindTransient):
		return op.NewStatusError(
			(&oidc.Error{ErrorType: "temporarily_unavailable", Description: "DingTalk is unavailable; try again later"}).WithParent(err),
			http.StatusServiceUnavailable)
	default:
		return oidc.ErrServerError().WithParent(err)
	}
}

// exchangeTokens issues the tokens of a token exchange: an access token,
// a refresh token with offline_access and the refresh_token grant, and an
// ID token with openid.
func (p *Provider) exchangeTokens(ctx context.Context, c *client, req *exchangeRequest) (*oidc.AccessTokenResponse, error) {
	withRefresh := slices.Contains(req.scopes, oidc.ScopeOfflineAccess) && slices.Contains(c.c.GrantTypes, grantRefreshToken)
	issue, refresh, err := p.newIssue(ctx, req, withRefresh, "")
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	if err := p.store.CreateTokens(ctx, issue); err != nil {
		return nil, oidc.ErrServerError().WithParent(fmt.Errorf("store tokens: %w", err))
	}
	var access string
	if c.AccessTokenType() == op.AccessTokenTypeJWT {
		access, err = op.CreateJWT(ctx, p.issuer, req, issue.Access.ExpiresAt, issue.Access.ID, c, p.op.Storage())
	} else {
		access, err = op.CreateBearerToken(issue.Access.ID, req.subject, p.op.Crypto())
	}
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(fmt.Errorf("create access token: %w", err))
	}
	resp := &oidc.AccessTokenResponse{
		AccessToken:  access,
		RefreshToken: refresh,
		TokenType:    oidc.BearerToken,
		ExpiresIn:    uint64(issue.Access.ExpiresAt.Sub(p.now()).Seconds()),
		Scope:        req.scopes,
	}
	if slices.Contains(req.scopes, oidc.ScopeOpenID) {
		resp.IDToken, err = p.idToken(ctx, req, c, access, "")
		if err != nil {
			return nil, oidc.ErrServerError().WithParent(fmt.Errorf("create id token: %w", err))
		}
	}
	return resp, nil
}

// exchangeRequest is the op.IDTokenRequest of a token exchange: the
// person the DingTalk code resolved to, bound to the session the exchange
// created.
type exchangeRequest struct {
	clientID string
	subject  string
	scopes   []string
	session  string
	authTime time.Time
	amr      []string
}

var _ op.IDTokenRequest = (*exchangeRequest)(nil)

func (r *exchangeRequest) GetAMR() []string       { return r.amr }
func (r *exchangeRequest) GetAudience() []string  { return []string{r.clientID} }
func (r *exchangeRequest) GetAuthTime() time.Time { return r.authTime }
func (r *exchangeRequest) GetClientID() string    { return r.clientID }
func (r *exchangeRequest) GetScopes() []string    { return r.scopes }
func (r *exchangeRequest) GetSubject() string     { return r.subject }
func (r *exchangeRequest) sessionID() string      { return r.session }
