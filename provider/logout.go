package provider

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/dingbridge/dingbridge/templates"
)

// endSession is RP-initiated logout. It ends the browser session named by
// the cookie and the one named by the id_token_hint's sid (so it works as
// a cookie-less GET), deleting the session row and revoking the tokens
// issued in the session, refresh tokens included. Clients that were
// issued tokens in an ended session get a back-channel logout token
// (backchannel.go). The browser goes
// to post_logout_redirect_uri (with state) only when it exactly matches
// the client's registration, the client coming from client_id or the
// hint's azp; otherwise it sees the "signed out" page.
//
// The hint may have expired: its issuer and signature are checked, its
// expiry is not.
func (p *Provider) endSession(ctx context.Context, r *op.Request[oidc.EndSessionRequest]) (*op.Redirect, error) {
	req := r.Data
	log := p.logger(ctx)
	var hint *oidc.IDTokenClaims
	if req.IdTokenHint != "" {
		claims, err := op.VerifyIDTokenHint[*oidc.IDTokenClaims](ctx, req.IdTokenHint, op.NewIDTokenHintVerifier(p.issuer, p.keys))
		if err == nil || errors.As(err, &op.IDTokenHintExpiredError{}) {
			hint = claims
		} else {
			log.InfoContext(ctx, "end session: id_token_hint rejected", "err", err)
		}
	}

	var sessions []string
	if id, ok := p.sessionIDFromCookie(&http.Request{Header: r.Header}); ok {
		sessions = append(sessions, id)
	}
	if hint != nil {
		if sid, _ := hint.Claims["sid"].(string); sid != "" && !slices.Contains(sessions, sid) {
			sessions = append(sessions, sid)
		}
	}
	if err := p.endSessions(ctx, sessions); err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}

	target := p.postLogoutRedirect(ctx, req, hint)
	if target == "" {
		q := url.Values{}
		if len(req.UILocales) > 0 {
			q.Set("ui_locales", req.UILocales[0].String())
		}
		target = p.issuer + loggedOutPath
		if len(q) > 0 {
			target += "?" + q.Encode()
		}
	}
	red := op.NewRedirect(target)
	red.Header.Add("Set-Cookie", p.clearSessionCookie().String())
	red.Header.Set("Cache-Control", "no-store")
	log.InfoContext(ctx, "session ended", "sessions", len(sessions), "client_id", req.ClientID)
	return red, nil
}

// postLogoutRedirect returns the validated post_logout_redirect_uri with
// state, or "".
func (p *Provider) postLogoutRedirect(ctx context.Context, req *oidc.EndSessionRequest, hint *oidc.IDTokenClaims) string {
	if req.PostLogoutRedirectURI == "" {
		return ""
	}
	clientID := req.ClientID
	if hint != nil {
		if clientID != "" && clientID != hint.AuthorizedParty {
			return ""
		}
		clientID = hint.AuthorizedParty
	}
	if clientID == "" {
		return ""
	}
	c, err := p.getClient(ctx, clientID)
	if err != nil {
		return ""
	}
	if err := op.ValidateEndSessionPostLogoutRedirectURI(req.PostLogoutRedirectURI, c); err != nil {
		p.logger(ctx).InfoContext(ctx, "end session: post_logout_redirect_uri not registered", "client_id", clientID)
		return ""
	}
	u, err := url.Parse(req.PostLogoutRedirectURI)
	if err != nil {
		return ""
	}
	if req.State != "" {
		q := u.Query()
		q.Set("state", req.State)
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// loggedOut shows the "signed out" page.
func (p *Provider) loggedOut(w http.ResponseWriter, r *http.Request) {
	var ui []string
	if l := r.URL.Query().Get("ui_locales"); l != "" {
		ui = []string{l}
	}
	lang := templates.Negotiate(ui, r.Header.Get("Accept-Language"))
	if err := templates.LoggedOut(w, templates.LoggedOutData{Lang: lang, RequestID: RequestID(r.Context())}); err != nil {
		p.logger(r.Context()).ErrorContext(r.Context(), "render logged out page", "err", err)
	}
}
