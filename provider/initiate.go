package provider

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/dingbridge/dingbridge/storage"
	"github.com/dingbridge/dingbridge/templates"
)

// InitiateOptions are the optional parameters of a third-party-initiated
// login.
type InitiateOptions struct {
	// LoginHint is passed to the client as login_hint.
	LoginHint string
	// TargetLinkURI is passed to the client as target_link_uri: where the
	// person should land after the client's login.
	TargetLinkURI string
}

// InitiateLogin is OpenID Connect Core §4 third-party-initiated login, for
// logins that start at DingTalk rather than at the client (admin-console
// SSO, the workspace entry): it commits the login without an authorization
// request (storage.CompleteLogin with no AuthRequestID; f.AuthRequestID is
// ignored), sets the session cookie and redirects to the client's
// initiate_login_uri with iss, and login_hint and target_link_uri when
// given. The client then starts a normal authorization request, which the
// new session completes at once. When f names the subject and corp of the
// browser's current session (no Identity), nothing is committed: that
// session, with its auth_time, is handed off unchanged. A client that is
// unknown or has no initiate_login_uri gets an error page.
//
// The caller has already applied the client's policy to the person.
func (p *Provider) InitiateLogin(w http.ResponseWriter, r *http.Request, clientID string, f Finish, opts InitiateOptions) {
	ctx := r.Context()
	c, err := p.store.GetClient(ctx, clientID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		p.errorPage(w, r, http.StatusBadRequest, templates.ErrorInvalidClient, nil, fmt.Errorf("initiate login: client %q: %w", clientID, err))
		return
	case err != nil:
		p.errorPage(w, r, http.StatusInternalServerError, templates.ErrorInternal, nil, fmt.Errorf("initiate login: client %q: %w", clientID, err))
		return
	case c.InitiateLoginURI == "":
		p.errorPage(w, r, http.StatusBadRequest, templates.ErrorInvalidClient, nil, fmt.Errorf("initiate login: client %q has no initiate_login_uri", clientID))
		return
	}
	target, err := url.Parse(c.InitiateLoginURI)
	if err != nil {
		p.errorPage(w, r, http.StatusInternalServerError, templates.ErrorInvalidClient, nil, fmt.Errorf("initiate login: client %q: initiate_login_uri: %w", clientID, err))
		return
	}
	if f.Identity == nil && f.Subject == "" {
		p.errorPage(w, r, http.StatusInternalServerError, templates.ErrorInternal, nil, errors.New("initiate login: neither identity nor subject"))
		return
	}
	// Handing off the browser's own session is no new authentication: the
	// session is kept as it is, so its auth_time and expiry do not restart.
	var cookie *http.Cookie
	if s, ok := p.currentSession(ctx, r); !ok || f.Identity != nil || s.Subject != f.Subject || s.CorpID != f.CorpID {
		session, _, err := p.openSession(ctx, f)
		if err != nil {
			p.errorPage(w, r, http.StatusInternalServerError, templates.ErrorInternal, nil, fmt.Errorf("initiate login: %w", err))
			return
		}
		if cookie, err = p.sessionCookieFor(session); err != nil {
			p.errorPage(w, r, http.StatusInternalServerError, templates.ErrorInternal, nil, fmt.Errorf("encode session cookie: %w", err))
			return
		}
	}
	q := target.Query()
	q.Set("iss", p.issuer)
	if opts.LoginHint != "" {
		q.Set("login_hint", opts.LoginHint)
	}
	if opts.TargetLinkURI != "" {
		q.Set("target_link_uri", opts.TargetLinkURI)
	}
	target.RawQuery = q.Encode()
	p.logger(ctx).InfoContext(ctx, "third-party-initiated login", "client_id", clientID)
	if cookie != nil {
		http.SetCookie(w, cookie)
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target.String(), http.StatusFound)
}
