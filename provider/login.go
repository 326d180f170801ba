package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/dingbridge/dingbridge/storage"
	"github.com/dingbridge/dingbridge/templates"
)

// Authenticator is the login step. The provider hands it an authorization
// request that needs a person to log in; it authenticates them (the
// DingTalk flows, or a test stub) and calls Provider.FinishLogin.
//
// An Authenticator that also implements http.Handler receives every
// request under /login/ (its own callbacks and form posts).
type Authenticator interface {
	ServeLogin(w http.ResponseWriter, r *http.Request, req LoginRequest)
}

// SilentAuthenticator is optionally implemented by the Authenticator.
// With prompt=none and no browser session that satisfies the request, the
// provider asks CanLoginSilently: true hands the request to ServeLogin
// with "none" in req.Prompt — the Authenticator then shows no interactive
// page and, when the silent attempt fails, calls Provider.FailLogin with
// login_required; false sends login_required to the client at once.
type SilentAuthenticator interface {
	CanLoginSilently(r *http.Request, req LoginRequest) bool
}

// LoginRequest is what an Authenticator learns about the authorization
// request it is to complete.
type LoginRequest struct {
	AuthRequestID string
	ClientID      string
	// ClientName is the client's display name for the login page.
	ClientName string
	Scopes     []string
	Prompt     []string
	UILocales  []string
	LoginHint  string
	// Params holds non-standard authorization parameters (e.g. corp_id).
	Params map[string]string
	// MaxAge is max_age in seconds (0 after prompt=login); nil when not
	// sent.
	MaxAge *int64
	// IDTokenHintSubject is the subject of a valid id_token_hint, if any.
	IDTokenHintSubject string
	// Policy is the client's login policy (allowed corps, members only…).
	Policy storage.ClientPolicy
	// Lang is the page language chosen from ui_locales and
	// Accept-Language.
	Lang templates.Lang
}

// Finish is the result of a successful login.
type Finish struct {
	AuthRequestID string
	// Identity is the DingTalk identity that logged in; it is resolved to
	// a user (created on first login). When nil, Subject names an
	// existing user.
	Identity *storage.Identity
	Subject  string
	// AMR lists the authentication methods used (e.g. "qr", "mfa").
	AMR []string
	// CorpID is the corp the person logged in through, kept on the
	// session for client policies.
	CorpID string
}

// login is the client's login URL. A browser session that satisfies the
// request completes it at once; prompt=none without one goes back to the
// client with login_required unless a SilentAuthenticator can log the
// person in without a page; otherwise the Authenticator takes over.
func (p *Provider) login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ar, err := p.loadAuthRequest(ctx, r.URL.Query().Get("authRequestID"))
	if err != nil {
		p.authRequestLoadError(w, r, err)
		return
	}
	p.loginWith(w, r, ar)
}

// loginWith is login for a loaded request: the authorization endpoint
// calls it with the request it has just made, sparing the browser a
// redirect.
func (p *Provider) loginWith(w http.ResponseWriter, r *http.Request, ar heldRequest) {
	ctx := r.Context()
	if ar.Done {
		// Its code has been sent to the client already.
		p.errorPage(w, r, http.StatusBadRequest, templates.ErrorExpired, ar.UILocales, errors.New("login: request already completed"))
		return
	}
	c, err := p.getClient(ctx, ar.ClientID)
	if err != nil {
		p.authRequestLoadError(w, r, fmt.Errorf("login: client %q: %w", ar.ClientID, err))
		return
	}
	if s, ok := p.currentSession(ctx, r); ok && sessionSatisfies(ar.AuthRequest, c, s, p.now()) && p.sessionAdmitted(ctx, c.c.Policy, s) {
		p.finishLogin(w, r, ar, Finish{AuthRequestID: ar.Handle, Subject: s.Subject, AMR: s.AMR, CorpID: s.CorpID}, &s)
		return
	}
	auth := p.authenticator()
	req := LoginRequest{
		AuthRequestID:      ar.Handle,
		ClientID:           ar.ClientID,
		ClientName:         c.c.Name,
		Scopes:             ar.Scopes,
		Prompt:             ar.Prompt,
		UILocales:          ar.UILocales,
		LoginHint:          ar.LoginHint,
		Params:             ar.Params,
		MaxAge:             ar.MaxAge,
		IDTokenHintSubject: ar.IDTokenHintSubject,
		Policy:             c.c.Policy,
		Lang:               templates.Negotiate(ar.UILocales, r.Header.Get("Accept-Language")),
	}
	if slices.Contains(ar.Prompt, oidc.PromptNone) {
		if silent, ok := auth.(SilentAuthenticator); ok && silent.CanLoginSilently(r, req) {
			auth.ServeLogin(w, r, req)
			return
		}
		p.failLogin(w, r, ar, oidc.ErrLoginRequired().WithDescription("no session satisfies the request"))
		return
	}
	if auth == nil {
		if err := templates.LoginUnavailable(w, templates.LoginUnavailableData{Lang: req.Lang, RequestID: RequestID(ctx)}); err != nil {
			p.logger(ctx).ErrorContext(ctx, "render login unavailable page", "err", err)
		}
		return
	}
	auth.ServeLogin(w, r, req)
}

// sessionSatisfies reports whether an existing browser session may
// complete the request without a new login.
func sessionSatisfies(ar storage.AuthRequest, c *client, s storage.Session, now time.Time) bool {
	if slices.Contains(ar.Prompt, oidc.PromptLogin) {
		return false
	}
	if ar.MaxAge != nil && now.Sub(s.AuthTime) > time.Duration(*ar.MaxAge)*time.Second {
		return false
	}
	if ar.MaxAge != nil && *ar.MaxAge == 0 {
		return false
	}
	if ar.IDTokenHintSubject != "" && ar.IDTokenHintSubject != s.Subject {
		return false
	}
	if corps := c.c.Policy.AllowedCorps; len(corps) > 0 && !slices.Contains(corps, s.CorpID) {
		return false
	}
	return true
}

// sessionAdmitted applies the client's policy to the person of an
// existing session, as the login flows do before a fresh login completes,
// so that a session opened at a lenient client does not carry someone
// into a stricter one. It judges the binding of the session's corp: a
// member has a user id there (MembersOnly); one of its departments, or an
// ancestor, must be required (RequiredDepartments); and a profile from
// the corp's directory (one that lists departments) must be active unless
// AllowInactive. Without such a binding only a policy with neither
// MembersOnly nor RequiredDepartments admits the session.
func (p *Provider) sessionAdmitted(ctx context.Context, policy storage.ClientPolicy, s storage.Session) bool {
	if !policy.MembersOnly && len(policy.RequiredDepartments) == 0 && policy.AllowInactive {
		return true
	}
	bindings, err := p.store.ListBindings(ctx, s.Subject)
	if err != nil {
		p.logger(ctx).ErrorContext(ctx, "single sign-on: list bindings", "err", err)
		return false
	}
	var b *storage.Binding
	for i := range bindings {
		if s.CorpID != "" && bindings[i].CorpID == s.CorpID {
			b = &bindings[i]
		}
	}
	if b == nil {
		return !policy.MembersOnly && len(policy.RequiredDepartments) == 0
	}
	prof := b.Profile
	switch {
	case policy.MembersOnly && b.UserID == "":
		return false
	case len(policy.RequiredDepartments) > 0 && !inDepartments(prof.Departments, policy.RequiredDepartments):
		return false
	case !policy.AllowInactive && (len(prof.Departments) > 0 || len(prof.DeptIDs) > 0) && !prof.Active:
		return false
	}
	return true
}

// inDepartments reports whether one of deps, or one of their ancestors, is
// required.
func inDepartments(deps []storage.Department, required []int64) bool {
	for _, d := range deps {
		if slices.Contains(required, d.ID) || slices.ContainsFunc(d.ParentIDs, func(id int64) bool { return slices.Contains(required, id) }) {
			return true
		}
	}
	return false
}

// FinishLogin completes the authorization request after a successful
// login: one storage.CompleteLogin transaction resolves the user, creates
// the browser session, marks the request done and stores the digest of
// its authorization code; then the session cookie is set and the code
// goes to the client's redirect_uri in the same response. A request that
// is unknown, expired or already completed shows the "expired" page.
func (p *Provider) FinishLogin(w http.ResponseWriter, r *http.Request, f Finish) {
	if f.Identity == nil && f.Subject == "" {
		p.errorPage(w, r, http.StatusInternalServerError, templates.ErrorInternal, nil, errors.New("finish login: neither identity nor subject"))
		return
	}
	ar, err := p.pendingRequest(f.AuthRequestID)
	if err != nil {
		p.authRequestLoadError(w, r, err)
		return
	}
	p.finishLogin(w, r, ar, f, nil)
}

// pendingRequest returns the request a login completes, for FinishLogin:
// a sealed handle is opened without a read (storage.CompleteLogin finds
// out whether its login has ended), a stored ID is left to
// storage.CompleteLogin to look up.
func (p *Provider) pendingRequest(handle string) (heldRequest, error) {
	if !sealed(handle) {
		return heldRequest{AuthRequest: storage.AuthRequest{ID: handle}, Handle: handle}, nil
	}
	return p.openHandle(handle)
}

// finishLogin commits the login and answers the authorization request. A
// fresh login gets a new session (a new ID, so a session ID cannot be
// fixed in advance); single sign-on reuses the existing session unchanged.
// The code reaches only the browser that completed the login: it is made
// here and sent in this response. A login of someone other than the
// id_token_hint's subject ends the request with login_required.
func (p *Provider) finishLogin(w http.ResponseWriter, r *http.Request, held heldRequest, f Finish, reuse *storage.Session) {
	ctx := r.Context()
	code := newToken()
	session, ar, err := p.commitLogin(ctx, held, f, reuse, code)
	if err != nil {
		p.authRequestLoadError(w, r, err)
		return
	}
	held.AuthRequest, held.unsent = ar, false
	if ar.IDTokenHintSubject != "" && session.Subject != ar.IDTokenHintSubject {
		// The client asked for the hint's person (OpenID Connect Core
		// 3.1.2.1); someone else's login is no answer to it, and their
		// session cookie is not set for a request made for another. The
		// request is ended without its unsent code.
		p.failLogin(w, r, held, oidc.ErrLoginRequired().WithDescription("the person who logged in is not the one id_token_hint names"))
		return
	}
	cookie, err := p.sessionCookieFor(session)
	if err != nil {
		p.errorPage(w, r, http.StatusInternalServerError, templates.ErrorInternal, ar.UILocales, fmt.Errorf("encode session cookie: %w", err))
		return
	}
	p.logger(ctx).InfoContext(ctx, "login completed", "auth_request_id", ar.ID, "client_id", ar.ClientID, "sso", reuse != nil)
	p.codes.put(ar, p.now())
	http.SetCookie(w, cookie)
	w.Header().Set("Cache-Control", "no-store")
	p.reply(w, r, replyTo{redirectURI: ar.RedirectURI, responseMode: ar.ResponseMode, state: ar.State},
		authResponse{Code: code})
}

// commitLogin runs the storage.CompleteLogin transaction of a login
// completing ar with the authorization code code: the identity's user and
// binding, the session (a new one unless reuse is set), and the request
// marked done with the code's digest — inserted so when it was sealed. It
// returns the session and the completed request.
func (p *Provider) commitLogin(ctx context.Context, ar heldRequest, f Finish, reuse *storage.Session, code string) (storage.Session, storage.AuthRequest, error) {
	now := p.now().UTC()
	c := p.loginCompletion(f, reuse, now)
	c.AuthRequestID = ar.ID
	if ar.Sealed {
		c.Request = &ar.AuthRequest
	}
	c.CodeHash = digest(code)
	c.CodeExpiresAt = now.Add(p.cfg.CodeTTL)
	session, _, done, err := p.completeLogin(ctx, c)
	return session, done, err
}

// openSession runs the storage.CompleteLogin transaction of a login that
// no authorization request started (the mini-program token exchange, a
// third-party-initiated login): the identity's user and binding and a new
// session.
func (p *Provider) openSession(ctx context.Context, f Finish) (storage.Session, storage.User, error) {
	session, u, _, err := p.completeLogin(ctx, p.loginCompletion(f, nil, p.now().UTC()))
	return session, u, err
}

// completeLogin commits c and returns its session with the subject it
// resolved to, the user and the completed request.
func (p *Provider) completeLogin(ctx context.Context, c storage.LoginCompletion) (storage.Session, storage.User, storage.AuthRequest, error) {
	u, ar, err := p.store.CompleteLogin(ctx, c)
	if err != nil {
		return storage.Session{}, storage.User{}, storage.AuthRequest{}, fmt.Errorf("complete login: %w", err)
	}
	session := c.Session
	session.Subject = u.Subject
	return session, u, ar, nil
}

// loginCompletion is what a login writes: a new session unless reuse is
// set.
func (p *Provider) loginCompletion(f Finish, reuse *storage.Session, now time.Time) storage.LoginCompletion {
	session := storage.Session{
		ID:        newToken(),
		AuthTime:  now,
		AMR:       f.AMR,
		CorpID:    f.CorpID,
		CreatedAt: now,
		ExpiresAt: now.Add(p.cfg.SessionTTL),
	}
	if reuse != nil {
		session = *reuse
	}
	return storage.LoginCompletion{
		Identity:   f.Identity,
		NewSubject: randomString(16),
		Subject:    f.Subject,
		Session:    session,
		AuthTime:   session.AuthTime,
		AMR:        session.AMR,
		Now:        now,
	}
}

// FailLogin ends an authorization request with an OAuth error sent to the
// client's redirect_uri (error, error_description, state and iss, in the
// request's response_mode) and ends the request (failLogin). The login flows use
// it for "back to the application" links (access_denied), failed silent
// logins (login_required) and refusals. A nil e sends server_error.
func (p *Provider) FailLogin(w http.ResponseWriter, r *http.Request, authRequestID string, e *oidc.Error) {
	ar, err := p.loadAuthRequest(r.Context(), authRequestID)
	if err != nil {
		p.authRequestLoadError(w, r, err)
		return
	}
	if ar.Done {
		p.errorPage(w, r, http.StatusBadRequest, templates.ErrorExpired, ar.UILocales, errors.New("fail login: request already completed"))
		return
	}
	if e == nil {
		e = oidc.ErrServerError()
	}
	p.failLogin(w, r, ar, e)
}

// failLogin ends the request, so that it cannot be completed afterwards,
// and sends e to the client. A stored request is deleted; a sealed one is
// stored done without a code (replacing its completed row, if any), since
// its handle still opens until it expires. A handle made in this response
// has reached no one and needs neither.
func (p *Provider) failLogin(w http.ResponseWriter, r *http.Request, ar heldRequest, e *oidc.Error) {
	if err := p.endAuthRequest(r.Context(), ar); err != nil {
		p.authRequestLoadError(w, r, err)
		return
	}
	p.replyError(w, r, replyTo{redirectURI: ar.RedirectURI, responseMode: ar.ResponseMode, state: ar.State}, e)
}

// endAuthRequest is failLogin's write.
func (p *Provider) endAuthRequest(ctx context.Context, ar heldRequest) error {
	switch {
	case ar.unsent:
		return nil
	case !ar.Sealed || ar.Done:
		if err := p.store.DeleteAuthRequest(ctx, ar.ID); err != nil {
			return fmt.Errorf("delete auth request: %w", err)
		}
		if !ar.Sealed {
			return nil
		}
	}
	spent := ar.AuthRequest
	spent.Done, spent.Subject, spent.SessionID, spent.AuthTime, spent.AMR = true, "", "", time.Time{}, nil
	spent.CodeHash, spent.CodeExpiresAt = nil, time.Time{}
	if err := p.store.CreateAuthRequest(ctx, spent); err != nil {
		if errors.Is(err, storage.ErrAlreadyExists) {
			// Its login ended meanwhile.
			return fmt.Errorf("%w: auth request ended concurrently", storage.ErrNotFound)
		}
		return fmt.Errorf("store ended auth request: %w", err)
	}
	return nil
}
