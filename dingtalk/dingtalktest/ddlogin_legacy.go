package dingtalktest

import (
	"net/http"
	"net/url"
	"slices"
)

// codeLoginTmp is the loginTmpCode the legacy QR iframe hands to its page;
// sns_authorize (E11) turns it into a CodeSNS code. It never leaves the
// simulator's browser flow, so it is not an exported CodeKind.
const codeLoginTmp CodeKind = 100

const snsAuthorizePath = "/connect/oauth2/sns_authorize"

// parseGoto validates the goto of the legacy QR iframe: an sns_authorize URL
// with scope snsapi_login for a known app. Callers hold mu.
func (s *Simulator) parseGoto(raw string) (legacyRequest, string) {
	u, err := url.Parse(raw)
	if raw == "" || err != nil || u.Path != snsAuthorizePath {
		return legacyRequest{}, "goto 无效，需要 sns_authorize 地址 · goto must be an sns_authorize URL"
	}
	req, msg := s.parseLegacy(u.Path, u.Query())
	if msg == "" && req.silent {
		msg = "goto 的 scope 必须为 snsapi_login · goto scope must be snsapi_login"
	}
	return req, msg
}

func (s *Simulator) qrcodePage(raw string, req legacyRequest, errMsg string) loginPageData {
	d := s.legacyPage("/login/qrcode.htm", req, errMsg)
	d.Hidden = []hiddenField{{"goto", raw}}
	d.Password, d.Embedded = false, true
	return d
}

// handleQRCode is the legacy DDLogin iframe, login/qrcode.htm?goto=…
// (reference §5.7): scanning is simulated by picking a person.
func (s *Simulator) handleQRCode(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	raw := r.URL.Query().Get("goto")
	req, msg := s.parseGoto(raw)
	if msg != "" {
		errorPage(w, msg)
		return
	}
	renderPage(w, http.StatusOK, "login", s.qrcodePage(raw, req, ""))
}

// handleQRCodeSubmit completes a scan: it mints a loginTmpCode for the goto's
// app and posts it to the embedding page, from the login host's origin.
func (s *Simulator) handleQRCodeSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		errorPage(w, "无效的请求 · bad form")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	raw := r.PostForm.Get("goto")
	req, msg := s.parseGoto(raw)
	if msg != "" {
		errorPage(w, msg)
		return
	}
	users := s.legacyUsers(req)
	corpID, userID := formUser(r.PostForm.Get("user"))
	i := slices.IndexFunc(users, func(x User) bool { return x.CorpID == corpID && x.UserID == userID })
	if i < 0 {
		renderPage(w, http.StatusOK, "login", s.qrcodePage(raw, req, "请选择一个成员 · pick a member"))
		return
	}
	v := s.newCode(code{kind: codeLoginTmp, clientID: req.appID, corpID: users[i].CorpID, userID: users[i].UserID})
	renderPage(w, http.StatusOK, "tmpcode", v)
}

// legacyTmpCodeLogin answers sns_authorize with loginTmpCode: a redirect to
// the callback with a fresh code and the state. Callers hold mu.
func (s *Simulator) legacyTmpCodeLogin(w http.ResponseWriter, r *http.Request, req legacyRequest, tmp string) {
	cd, ok := s.takeCode(tmp, codeLoginTmp, req.appID, "")
	if !ok {
		errorPage(w, "loginTmpCode 无效或已使用 · loginTmpCode is invalid or already used")
		return
	}
	v := s.newCode(code{kind: CodeSNS, clientID: req.appID, corpID: cd.corpID, userID: cd.userID})
	http.Redirect(w, r, withParams(req.redirect, "code", v, "state", req.q.Get("state")), http.StatusFound)
}
