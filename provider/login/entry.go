package login

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/dingbridge/dingbridge/provider"
	"github.com/dingbridge/dingbridge/provider/resolve"
	"github.com/dingbridge/dingbridge/storage"
	"github.com/dingbridge/dingbridge/templates"
)

// entryClient loads the client an entry point names; it must be able to
// receive a third-party-initiated login.
func (l *Login) entryClient(ctx context.Context, clientID string) (storage.Client, error) {
	c, err := l.p.Client(ctx, clientID)
	if err != nil {
		return storage.Client{}, clientError(clientID, err)
	}
	if c.InitiateLoginURI == "" {
		return storage.Client{}, errNoInitiateURI
	}
	return c, nil
}

// adminEntry is the admin-console SSO backend URL
// (/dingtalk/admin/{client_id}): DingTalk appends a one-time code; the
// administrator is resolved, checked against the client's policy and
// handed to the client's initiate_login_uri with a new session. corpId or
// app (an appKey or suiteKey) select the SSO configuration when several
// exist.
func (l *Login) adminEntry(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	clientID := r.PathValue("client_id")
	pi := pageInfo{lang: templates.Negotiate(nil, r.Header.Get("Accept-Language")), clientID: clientID}
	c, err := l.entryClient(ctx, clientID)
	if err != nil {
		l.fail(w, r, pi, err)
		return
	}
	pi.clientName = c.Name
	q := r.URL.Query()
	code := q.Get("code")
	if code == "" {
		l.fail(w, r, pi, errMissingParam)
		return
	}
	res, err := l.res.Admin(ctx, resolve.AdminSelector{CorpID: queryCorp(q), Key: q.Get("app")}, code)
	if err != nil {
		l.fail(w, r, pi, err)
		return
	}
	if err := l.res.Check(res, c.Policy); err != nil {
		l.fail(w, r, pi, err)
		return
	}
	l.p.InitiateLogin(w, r, clientID, provider.Finish{Identity: &res.Identity, AMR: res.AMR, CorpID: res.CorpID}, provider.InitiateOptions{})
}

// startEntry is the workspace entry (/dingtalk/start/{client_id}, a micro
// app's home URL with corpId=$CORPID$). A live session the client accepts
// hands off at once; inside DingTalk the silent workspace page logs the
// person in first; a normal browser is sent to the client's
// initiate_login_uri to start an ordinary login there.
func (l *Login) startEntry(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	clientID := r.PathValue("client_id")
	corpNamed := queryCorp(r.URL.Query())
	pi := pageInfo{
		lang: templates.Negotiate(nil, r.Header.Get("Accept-Language")), clientID: clientID,
		retryURL: l.startURL(clientID, corpNamed),
	}
	c, err := l.entryClient(ctx, clientID)
	if err != nil {
		l.fail(w, r, pi, err)
		return
	}
	pi.clientName = c.Name
	corp, err := l.pickCorp(corpNamed, c.Policy)
	if err != nil {
		l.fail(w, r, pi, err)
		return
	}
	if s, ok := l.p.CurrentSession(r); ok && (corp == "" || s.CorpID == corp) &&
		(len(c.Policy.AllowedCorps) == 0 || slices.Contains(c.Policy.AllowedCorps, s.CorpID)) {
		l.p.InitiateLogin(w, r, clientID, provider.Finish{Subject: s.Subject, AMR: s.AMR, CorpID: s.CorpID}, provider.InitiateOptions{})
		return
	}
	if !l.inDingTalk(r) {
		target, err := url.Parse(c.InitiateLoginURI)
		if err != nil {
			l.fail(w, r, pi, errNoInitiateURI)
			return
		}
		tq := target.Query()
		tq.Set("iss", l.issuer)
		target.RawQuery = tq.Encode()
		http.Redirect(w, r, target.String(), http.StatusFound)
		return
	}
	if corp == "" {
		l.chooser(w, r, pi, c.Policy)
		return
	}
	pi.retryURL = l.startURL(clientID, corp)
	l.inClient(w, r, pi, corp)
}

// loginConfigJSON is the public login configuration of a corp: seed 002's
// getLoginConfig plus where DingTalk's login page and scripts are.
type loginConfigJSON struct {
	resolve.LoginConfig
	LoginURL            string `json:"loginURL"`
	JSAPIScriptURL      string `json:"jsapiScriptURL"`
	FrameLoginScriptURL string `json:"frameLoginScriptURL"`
}

// loginConfig answers GET /dingtalk/login-config?corpId= for teams that
// draw their own login page. Public (CORS *), never a secret.
func (l *Login) loginConfig(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "GET, OPTIONS")
	h.Set("Access-Control-Max-Age", "600")
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	corpID := queryCorp(r.URL.Query())
	if corpID == "" {
		if corps := l.res.Corps(); len(corps) == 1 {
			corpID = corps[0].CorpID
		} else {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "corp_required", "error_description": "corpId is required"})
			return
		}
	}
	cfg, err := l.res.LoginConfig(corpID)
	if err != nil {
		if errors.Is(err, resolve.ErrUnknownCorp) {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown_corp", "error_description": "the corp is not configured"})
			return
		}
		l.log.ErrorContext(r.Context(), "login config", "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	h.Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, loginConfigJSON{
		LoginConfig:         cfg,
		LoginURL:            l.dt.Endpoints().Login + "/oauth2/auth",
		JSAPIScriptURL:      l.cfg.JSAPIScriptURL,
		FrameLoginScriptURL: l.cfg.FrameLoginScriptURL,
	})
}

// suiteTicket receives DingTalk's suite tickets: POST with
// "Authorization: Bearer <SuiteTicketPushToken>" and a JSON body
// {"suiteKey":…,"suiteTicket":…}; 204 when stored. Disabled (404) without
// a token.
func (l *Login) suiteTicket(w http.ResponseWriter, r *http.Request) {
	if l.cfg.SuiteTicketPushToken == "" {
		http.NotFound(w, r)
		return
	}
	if !l.pushAuthorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="dingbridge"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
		return
	}
	var body struct {
		SuiteKey    string `json:"suiteKey"`
		SuiteTicket string `json:"suiteTicket"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10))
	if err := dec.Decode(&body); err != nil || body.SuiteKey == "" || body.SuiteTicket == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "a JSON body with suiteKey and suiteTicket is required"})
		return
	}
	if err := l.res.SetSuiteTicket(r.Context(), body.SuiteKey, body.SuiteTicket); err != nil {
		if errors.Is(err, resolve.ErrUnknownSuite) {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unknown_suite"})
			return
		}
		l.log.ErrorContext(r.Context(), "store suite ticket", "err", err, "suite_key", body.SuiteKey)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	l.log.InfoContext(r.Context(), "suite ticket stored", "suite_key", body.SuiteKey)
	w.WriteHeader(http.StatusNoContent)
}

// pushAuthorized compares the bearer token in constant time (digests, so
// the length does not leak either).
func (l *Login) pushAuthorized(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	want := sha256.Sum256([]byte(l.cfg.SuiteTicketPushToken))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"server_error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
