package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/dingbridge/dingbridge/storage"
	"github.com/dingbridge/dingbridge/templates"
)

// standardParams are the authorization parameters the provider handles
// itself; any other parameter is kept in storage.AuthRequest.Params for
// the login flows (within the limits below) and otherwise ignored.
var standardParams = []string{
	"scope", "response_type", "client_id", "redirect_uri", "state", "nonce", "response_mode", "display",
	"prompt", "max_age", "ui_locales", "id_token_hint", "login_hint", "acr_values", "code_challenge",
	"code_challenge_method", "request", "request_uri", "claims", "registration", "claims_locales",
}

const (
	maxExtraParams     = 16
	maxExtraParamKey   = 64
	maxExtraParamValue = 512
)

// authResponse is what the authorization endpoint sends back to the
// client's redirect_uri: a code or an error, always with iss (RFC 9207).
type authResponse struct {
	Code             string `schema:"code,omitempty"`
	Error            string `schema:"error,omitempty"`
	ErrorDescription string `schema:"error_description,omitempty"`
	State            string `schema:"state,omitempty"`
	Issuer           string `schema:"iss"`
}

// replyTo is where an authorization response goes: a redirect_uri already
// checked against the client's registration.
type replyTo struct {
	redirectURI  string
	responseMode string
	state        string
}

func (p *Provider) reply(w http.ResponseWriter, r *http.Request, to replyTo, resp authResponse) {
	resp.State = to.state
	resp.Issuer = p.issuer
	if to.responseMode == string(oidc.ResponseModeFormPost) {
		values := url.Values{}
		if err := p.op.Encoder().Encode(&resp, values); err != nil {
			p.errorPage(w, r, http.StatusInternalServerError, templates.ErrorInternal, nil, fmt.Errorf("form post response: %w", err))
			return
		}
		if err := writeFormPost(w, to.redirectURI, values); err != nil {
			p.errorPage(w, r, http.StatusInternalServerError, templates.ErrorInternal, nil, err)
		}
		return
	}
	u, err := op.AuthResponseURL(to.redirectURI, oidc.ResponseTypeCode, oidc.ResponseMode(to.responseMode), &resp, p.op.Encoder())
	if err != nil {
		p.errorPage(w, r, http.StatusInternalServerError, templates.ErrorInternal, nil, fmt.Errorf("build response url: %w", err))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u, http.StatusFound)
}

// replyError sends an OAuth error to the client's redirect_uri.
func (p *Provider) replyError(w http.ResponseWriter, r *http.Request, to replyTo, e *oidc.Error) {
	p.logger(r.Context()).InfoContext(r.Context(), "authorization error sent to client",
		"error", string(e.ErrorType), "error_description", e.Description)
	p.reply(w, r, to, authResponse{Error: string(e.ErrorType), ErrorDescription: e.Description})
}

// authorize is the authorization endpoint. Until client_id and
// redirect_uri are known good, errors are shown as a page (never sent to
// an unverified URI); after that, they go back to the client.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	req, err := op.ParseAuthorizeRequest(r, p.op.Decoder())
	if err != nil {
		p.errorPage(w, r, http.StatusBadRequest, templates.ErrorBadRequest, nil, err)
		return
	}
	c, err := p.getClient(ctx, req.ClientID)
	if err != nil {
		kind, status := templates.ErrorInvalidClient, http.StatusBadRequest
		if !errors.Is(err, storage.ErrNotFound) {
			kind, status = templates.ErrorInternal, http.StatusInternalServerError
		}
		p.errorPage(w, r, status, kind, localeStrings(req.UILocales), fmt.Errorf("authorize: client %q: %w", req.ClientID, err))
		return
	}
	if err := checkRedirectURI(c, req.RedirectURI); err != nil {
		p.errorPage(w, r, http.StatusBadRequest, templates.ErrorInvalidClient, localeStrings(req.UILocales), fmt.Errorf("authorize: client %q: %w", c.c.ID, err))
		return
	}
	to := replyTo{redirectURI: req.RedirectURI, responseMode: string(req.ResponseMode), state: req.State}
	switch req.ResponseMode {
	case "", oidc.ResponseModeQuery, oidc.ResponseModeFragment, oidc.ResponseModeFormPost:
	default:
		to.responseMode = ""
		p.replyError(w, r, to, oidc.ErrInvalidRequest().WithDescription("unsupported response_mode"))
		return
	}
	if oerr := p.validateAuthorize(ctx, c, req, r); oerr != nil {
		p.replyError(w, r, to, oerr)
		return
	}
	hintSubject := ""
	if req.IDTokenHint != "" {
		claims, err := op.VerifyIDTokenHint[*oidc.TokenClaims](ctx, req.IDTokenHint, op.NewIDTokenHintVerifier(p.issuer, p.keys))
		if err != nil && !errors.As(err, &op.IDTokenHintExpiredError{}) {
			p.replyError(w, r, to, oidc.ErrLoginRequired().WithDescription("id_token_hint is invalid"))
			return
		}
		hintSubject = claims.GetSubject()
	}
	held, err := p.holdAuthRequest(ctx, p.newAuthRequest(req, hintSubject, extraParams(r)))
	if err != nil {
		p.logger(ctx).ErrorContext(ctx, "store auth request", "err", err, "client_id", c.c.ID)
		p.replyError(w, r, to, oidc.ErrServerError().WithDescription("the request could not be saved"))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	p.loginWith(w, r, held)
}

// validateAuthorize checks everything but client and redirect_uri. It
// normalises req in place: unknown scopes are dropped, prompt=login
// becomes max_age=0.
func (p *Provider) validateAuthorize(_ context.Context, c *client, req *oidc.AuthRequest, r *http.Request) *oidc.Error {
	if req.RequestParam != "" {
		return oidc.ErrRequestNotSupported()
	}
	if r.Form.Get("request_uri") != "" {
		return &oidc.Error{ErrorType: "request_uri_not_supported", Description: "request_uri is not supported"}
	}
	if req.ResponseType != oidc.ResponseTypeCode {
		return &oidc.Error{ErrorType: "unsupported_response_type", Description: "only response_type=code is supported"}
	}
	if !slices.Contains(c.c.GrantTypes, grantAuthorizationCode) {
		return oidc.ErrUnauthorizedClient().WithDescription("client may not use the authorization code flow")
	}
	var err error
	if req.MaxAge, err = op.ValidateAuthReqPrompt(req.Prompt, req.MaxAge); err != nil {
		var oerr *oidc.Error
		if errors.As(err, &oerr) {
			return oerr
		}
		return oidc.ErrInvalidRequest().WithDescription("invalid prompt")
	}
	req.Scopes = c.filterScopes(req.Scopes)
	if !slices.Contains(req.Scopes, oidc.ScopeOpenID) {
		return oidc.ErrInvalidScope().WithDescription("the openid scope is required")
	}
	switch {
	case req.CodeChallenge == "" && c.requiresPKCE():
		return oidc.ErrInvalidRequest().WithDescription("code_challenge (S256) is required for this client")
	case req.CodeChallenge != "" && req.CodeChallengeMethod != oidc.CodeChallengeMethodS256:
		return oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	case req.CodeChallenge != "" && (len(req.CodeChallenge) < 43 || len(req.CodeChallenge) > 128):
		return oidc.ErrInvalidRequest().WithDescription("code_challenge is malformed")
	}
	return nil
}

// checkRedirectURI matches redirect_uri exactly against the client's
// registration; native clients may vary the port of a loopback URI
// (RFC 8252 section 7.3).
func checkRedirectURI(c *client, uri string) error {
	if uri == "" {
		return errors.New("redirect_uri missing")
	}
	if slices.Contains(c.c.RedirectURIs, uri) {
		return nil
	}
	if c.c.ApplicationType == "native" {
		if got, ok := op.HTTPLoopbackOrLocalhost(uri); ok && got.Scheme == "http" {
			for _, registered := range c.c.RedirectURIs {
				want, ok := op.HTTPLoopbackOrLocalhost(registered)
				if ok && want.Scheme == "http" && want.Hostname() == got.Hostname() &&
					want.Path == got.Path && want.RawQuery == got.RawQuery {
					return nil
				}
			}
		}
	}
	return errors.New("redirect_uri is not registered")
}

// extraParams keeps non-standard single-valued parameters within limits.
func extraParams(r *http.Request) map[string]string {
	var out map[string]string
	for k, v := range r.Form {
		if slices.Contains(standardParams, k) || len(v) != 1 || len(k) > maxExtraParamKey || len(v[0]) > maxExtraParamValue {
			continue
		}
		if out == nil {
			out = make(map[string]string)
		}
		if len(out) == maxExtraParams {
			break
		}
		out[k] = v[0]
	}
	return out
}

// newAuthRequest makes the pending request of a validated authorization
// request, with a new ID.
func (p *Provider) newAuthRequest(req *oidc.AuthRequest, hintSubject string, params map[string]string) storage.AuthRequest {
	now := p.now().UTC()
	r := storage.AuthRequest{
		ID:                  randomString(16),
		ClientID:            req.ClientID,
		RedirectURI:         req.RedirectURI,
		Scopes:              req.Scopes,
		ResponseType:        string(req.ResponseType),
		ResponseMode:        string(req.ResponseMode),
		State:               req.State,
		Nonce:               req.Nonce,
		CodeChallenge:       req.CodeChallenge,
		CodeChallengeMethod: string(req.CodeChallengeMethod),
		Prompt:              req.Prompt,
		LoginHint:           req.LoginHint,
		IDTokenHintSubject:  hintSubject,
		ACRValues:           req.ACRValues,
		Params:              params,
		CreatedAt:           now,
		ExpiresAt:           now.Add(p.cfg.AuthRequestTTL),
	}
	if req.MaxAge != nil {
		m := int64(*req.MaxAge)
		r.MaxAge = &m
	}
	for _, t := range req.UILocales {
		r.UILocales = append(r.UILocales, t.String())
	}
	return r
}

// authorizeCallback serves the authorization callback URL op registers.
// Logins answer the client themselves (FinishLogin sends the code), so
// only a request still waiting for its login comes here: it goes to the
// login page. A completed one has had its code sent already.
func (p *Provider) authorizeCallback(w http.ResponseWriter, r *http.Request) {
	held, err := p.loadAuthRequest(r.Context(), r.URL.Query().Get("id"))
	if err != nil {
		p.authRequestLoadError(w, r, err)
		return
	}
	if held.Done {
		p.errorPage(w, r, http.StatusBadRequest, templates.ErrorExpired, held.UILocales,
			errors.New("authorize callback: request already completed"))
		return
	}
	http.Redirect(w, r, p.loginURL(held.Handle), http.StatusFound)
}

// authRequestLoadError shows the page for an auth request that could not
// be loaded or updated: expired (or never existed), or a server error.
func (p *Provider) authRequestLoadError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, storage.ErrNotFound) {
		p.errorPage(w, r, http.StatusBadRequest, templates.ErrorExpired, nil, err)
		return
	}
	p.errorPage(w, r, http.StatusInternalServerError, templates.ErrorInternal, nil, err)
}
