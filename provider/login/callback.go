package login

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/dingbridge/dingbridge/provider"
	"github.com/dingbridge/dingbridge/provider/resolve"
	"github.com/dingbridge/dingbridge/templates"
)

// Errors of the login step itself, each mapped to a failure reason.
var (
	errCancelled     = errors.New("login cancelled at DingTalk")
	errMissingParam  = errors.New("required parameter missing")
	errJSAPI         = errors.New("the DingTalk JSAPI gave no code")
	errUnknownClient = errors.New("unknown client")
	errNoInitiateURI = errors.New("client has no initiate_login_uri")
	errNoCorps       = errors.New("no corp is served for this client")
	errCorpRequired  = errors.New("silent login needs a named corp")
	errNotInClient   = errors.New("silent login outside the DingTalk client")
)

// oauthCallback is the new OAuth2 callback (E1 redirect or DTFrameLogin's
// redirectUrl): authCode (or code) and state, or error and state.
func (l *Login) oauthCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	st, err := l.takeState(w, r, q.Get("state"), flowQR)
	if err != nil {
		l.fail(w, r, l.anonymous(r), err)
		return
	}
	if q.Get("error") != "" {
		l.fail(w, r, l.pageFromState(st), errCancelled)
		return
	}
	code := q.Get("authCode")
	if code == "" {
		code = q.Get("code")
	}
	if code == "" {
		l.fail(w, r, l.pageFromState(st), errMissingParam)
		return
	}
	res, err := l.res.QR(r.Context(), st.AppID, code, st.CorpID)
	l.complete(w, r, st, res, err)
}

// snsCallback is the legacy callback of qrconnect (the QR page's classic
// link) and in-client sns_authorize: code and state.
func (l *Login) snsCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	st, err := l.takeState(w, r, q.Get("state"), flowQR, flowSNS)
	if err != nil {
		l.fail(w, r, l.anonymous(r), err)
		return
	}
	if q.Get("error") != "" {
		l.fail(w, r, l.pageFromState(st), errCancelled)
		return
	}
	appID := st.AppID
	if st.Flow == flowQR {
		appID = st.LoginAppID
	}
	code := q.Get("code")
	if code == "" || appID == "" {
		l.fail(w, r, l.pageFromState(st), errMissingParam)
		return
	}
	res, err := l.res.SNS(r.Context(), appID, code, st.CorpID)
	l.complete(w, r, st, res, err)
}

// workspacePost receives the JSAPI code the workspace page posts. The
// corp is the one the state was minted for, not the form's.
func (l *Login) workspacePost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		l.fail(w, r, l.anonymous(r), fmt.Errorf("%w: form: %w", errMissingParam, err))
		return
	}
	st, err := l.takeState(w, r, r.PostForm.Get("state"), flowWorkspace)
	if err != nil {
		l.fail(w, r, l.anonymous(r), err)
		return
	}
	code := r.PostForm.Get("code")
	if code == "" {
		l.fail(w, r, l.pageFromState(st), errMissingParam)
		return
	}
	res, err := l.res.Workspace(r.Context(), st.CorpID, code)
	l.complete(w, r, st, res, err)
}

// jsapiError is where the workspace page goes when the JSAPI gives no
// code: the error page, or login_required for a silent request.
func (l *Login) jsapiError(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	st, err := l.takeState(w, r, q.Get("state"), flowWorkspace)
	if err != nil {
		l.fail(w, r, l.anonymous(r), err)
		return
	}
	l.fail(w, r, l.pageFromState(st), fmt.Errorf("%w: jsapi error %q", errJSAPI, sanitize(q.Get("jsapi_error"))))
}

// sanitize keeps a short, printable, log-safe version of a client-supplied
// error code.
func sanitize(s string) string {
	s = strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			return c
		}
		return -1
	}, s)
	if len(s) > 32 {
		s = s[:32]
	}
	return s
}

// complete applies the client's policy to a resolved person and finishes
// the login: the authorization request completes (FinishLogin), or the
// workspace entry hands off to the client (InitiateLogin).
func (l *Login) complete(w http.ResponseWriter, r *http.Request, st loginState, res *resolve.Result, err error) {
	pi := l.pageFromState(st)
	if err != nil {
		l.fail(w, r, pi, err)
		return
	}
	c, err := l.p.Client(r.Context(), st.ClientID)
	if err != nil {
		l.fail(w, r, pi, clientError(st.ClientID, err))
		return
	}
	if err := l.res.Check(res, c.Policy); err != nil {
		l.fail(w, r, pi, err)
		return
	}
	f := provider.Finish{AuthRequestID: st.AuthRequestID, Identity: &res.Identity, AMR: res.AMR, CorpID: res.CorpID}
	if st.entry() {
		l.p.InitiateLogin(w, r, st.EntryClientID, f, provider.InitiateOptions{})
		return
	}
	l.p.FinishLogin(w, r, f)
}

// fail ends a login that went wrong: the detail goes to the log once; a
// silent request goes back to the client (login_required, or the refusal's
// error); everyone else gets the error page with what happened, what to
// do, a retry link and a "back to the application" link.
func (l *Login) fail(w http.ResponseWriter, r *http.Request, pi pageInfo, err error) {
	ctx := r.Context()
	rsn := classify(err)
	f := failures[rsn]
	level := l.log.WarnContext
	if rsn == reasonInternal {
		level = l.log.ErrorContext
	}
	level(ctx, "dingtalk login failed", "reason", string(rsn), "err", err,
		"auth_request_id", l.p.AuthRequestLogID(pi.authRequestID), "client_id", pi.clientID, "silent", pi.silent)

	if pi.silent && pi.authRequestID != "" {
		e := oidc.ErrLoginRequired()
		if isPolicy(err) && f.oidcError != nil {
			e = f.oidcError()
		}
		l.p.FailLogin(w, r, pi.authRequestID, e.WithDescription("%s", f.what.en))
		return
	}
	retry := pi.retryURL
	if retry == "" && pi.authRequestID != "" && rsn != reasonState {
		retry = l.loginURL(pi.authRequestID)
	}
	cancel := rsn
	if f.oidcError == nil {
		cancel = ""
	}
	d := templates.LoginErrorData{
		LoginPage: l.page(r, pi, cancel),
		Failure: templates.LoginFailure{
			Status:   f.status,
			Title:    f.title.in(pi.lang),
			What:     f.what.in(pi.lang),
			Todo:     f.todo.in(pi.lang),
			Detail:   detail(rsn, err),
			RetryURL: retry,
		},
	}
	if err := templates.LoginError(w, d); err != nil {
		l.log.ErrorContext(ctx, "render login error page", "err", err)
	}
}

func isPolicy(err error) bool {
	var pe *resolve.PolicyError
	return errors.As(err, &pe)
}

// cancel is the "back to the application" link of the pages: the client
// gets the OIDC error of the reason the page showed (access_denied when it
// names none).
func (l *Login) cancel(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rsn := reason(q.Get("reason"))
	f, ok := failures[rsn]
	if !ok || f.oidcError == nil {
		rsn, f = reasonCancelled, failures[reasonCancelled]
	}
	l.log.InfoContext(r.Context(), "login cancelled", "reason", string(rsn), "auth_request_id", l.p.AuthRequestLogID(q.Get("authRequestID")))
	l.p.FailLogin(w, r, q.Get("authRequestID"), f.oidcError().WithDescription("%s", f.what.en))
}
