package login

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/dingbridge/dingbridge/dingtalk"
	"github.com/dingbridge/dingbridge/provider/resolve"
	"github.com/dingbridge/dingbridge/storage"
	"github.com/dingbridge/dingbridge/templates"
)

// entryClientID is the client of a workspace-entry login, "" for an
// authorization request.
func (pi pageInfo) entryClientID() string {
	if pi.authRequestID == "" {
		return pi.clientID
	}
	return ""
}

// pageFromState rebuilds the page information a callback needs.
func (l *Login) pageFromState(st loginState) pageInfo {
	pi := pageInfo{lang: st.Lang, clientID: st.ClientID, authRequestID: st.AuthRequestID, silent: st.Silent}
	if st.entry() {
		pi.retryURL = l.startURL(st.EntryClientID, st.CorpID)
	}
	return pi
}

// anonymous is the page information when nothing is known about the login
// (a missing or foreign state).
func (l *Login) anonymous(r *http.Request) pageInfo {
	return pageInfo{lang: templates.Negotiate(nil, r.Header.Get("Accept-Language"))}
}

// inClient logs a person in inside the DingTalk client for corpID: the
// silent workspace page (JSAPI), or a redirect to in-client sns_authorize
// for corps configured with InClient "sns".
func (l *Login) inClient(w http.ResponseWriter, r *http.Request, pi pageInfo, corpID string) {
	info, ok := l.res.Corp(corpID)
	if !ok {
		l.fail(w, r, pi, resolve.ErrUnknownCorp)
		return
	}
	st := loginState{
		AuthRequestID: pi.authRequestID, EntryClientID: pi.entryClientID(), ClientID: pi.clientID,
		CorpID: corpID, Silent: pi.silent, Lang: pi.lang,
	}
	if info.InClient == resolve.InClientSNS && info.LoginAppID != "" {
		st.Flow, st.AppID = flowSNS, info.LoginAppID
		state, err := l.mintState(w, r, st)
		if err != nil {
			l.fail(w, r, pi, err)
			return
		}
		http.Redirect(w, r, l.dt.SNSAuthorizeURL(dingtalk.LegacyAuthParams{
			AppID: info.LoginAppID, RedirectURI: l.issuer + snsCallbackPath, State: state, Scope: dingtalk.ScopeSNSAuth,
		}), http.StatusFound)
		return
	}
	c, err := l.p.Client(r.Context(), pi.clientID)
	if err != nil {
		l.fail(w, r, pi, clientError(pi.clientID, err))
		return
	}
	st.Flow, st.AppID = flowWorkspace, info.ClientID
	state, err := l.mintState(w, r, st)
	if err != nil {
		l.fail(w, r, pi, err)
		return
	}
	retry := pi.retryURL
	if retry == "" {
		retry = l.loginURL(pi.authRequestID)
	}
	page := l.page(r, pi, reasonCancelled)
	page.FrameAncestors = workspaceAncestors
	d := templates.WorkspaceData{
		LoginPage:      page,
		JSAPIScriptURL: l.cfg.JSAPIScriptURL,
		CorpID:         corpID,
		ClientID:       info.ClientID,
		State:          state,
		Action:         l.issuer + workspacePath,
		FailURL:        l.url(jsapiErrorPath, url.Values{"state": {state}}),
		RetryURL:       retry,
		FormTargets:    formTargets(c),
	}
	if err := templates.LoginWorkspace(w, d); err != nil {
		l.log.ErrorContext(r.Context(), "render workspace page", "err", err)
	}
}

// formTargets are where the workspace form's redirect chain may lead: the
// client's redirect URIs (the code) and initiate_login_uri (the entry).
func formTargets(c storage.Client) []string {
	out := append([]string(nil), c.RedirectURIs...)
	if c.InitiateLoginURI != "" {
		out = append(out, c.InitiateLoginURI)
	}
	return out
}

// qrPage shows the QR page outside the DingTalk client: DTFrameLogin's
// embedded QR, a plain link to DingTalk's login page, and the legacy QR
// page when a login app covers the corp. With no corp named and several
// possible, a suite serving them all asks DingTalk for the corp (scope
// "openid corpid"); otherwise the chooser comes first.
func (l *Login) qrPage(w http.ResponseWriter, r *http.Request, pi pageInfo, corpID string, policy storage.ClientPolicy) {
	clientID, scopeCorp, err := l.res.QRClient(corpID)
	if errors.Is(err, resolve.ErrCorpRequired) {
		l.chooser(w, r, pi, policy)
		return
	}
	if err != nil {
		l.fail(w, r, pi, err)
		return
	}
	loginApp := l.loginApp(corpID, policy)
	state, err := l.mintState(w, r, loginState{
		Flow: flowQR, AuthRequestID: pi.authRequestID, ClientID: pi.clientID,
		CorpID: corpID, AppID: clientID, LoginAppID: loginApp, Lang: pi.lang,
	})
	if err != nil {
		l.fail(w, r, pi, err)
		return
	}
	scope, preselect := dingtalk.ScopeOpenID, ""
	if scopeCorp {
		scope, preselect = dingtalk.ScopeOpenIDCorpID, corpID
	}
	redirect := l.issuer + callbackPath
	d := templates.QRData{
		LoginPage:           l.page(r, pi, reasonCancelled),
		FrameLoginScriptURL: l.cfg.FrameLoginScriptURL,
		ClientID:            clientID,
		RedirectURI:         redirect,
		Scope:               scope,
		State:               state,
		CorpID:              preselect,
		LoginURL: l.dt.AuthCodeURL(dingtalk.AuthCodeParams{
			ClientID: clientID, RedirectURI: redirect, Scope: scope, State: state, CorpID: preselect,
		}),
	}
	if loginApp != "" {
		d.LegacyURL = l.dt.QRConnectURL(dingtalk.LegacyAuthParams{AppID: loginApp, RedirectURI: l.issuer + snsCallbackPath, State: state})
	}
	if err := templates.LoginQR(w, d); err != nil {
		l.log.ErrorContext(r.Context(), "render QR page", "err", err)
	}
}

// loginApp is the legacy login app for the QR page: the corp's, or with no
// corp named the one every allowed corp shares; "" when there is none.
func (l *Login) loginApp(corpID string, policy storage.ClientPolicy) string {
	if corpID != "" {
		info, _ := l.res.Corp(corpID)
		return info.LoginAppID
	}
	app := ""
	for i, c := range l.candidates(policy) {
		if c.LoginAppID == "" || (i > 0 && c.LoginAppID != app) {
			return ""
		}
		app = c.LoginAppID
	}
	return app
}
