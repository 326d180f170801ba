package dingtalktest

import (
	"net/http"
	"net/url"
	"slices"
)

// legacyRequest is a validated qrconnect / sns_authorize request.
type legacyRequest struct {
	q        url.Values
	appID    string
	name     string
	corpID   string // internal app: its corp; login app: "" (anyone)
	redirect *url.URL
	silent   bool // scope snsapi_auth
}

var legacyParams = []string{"appid", "redirect_uri", "response_type", "scope", "state"}

// parseLegacy validates E10/E11 parameters; callers hold mu.
func (s *Simulator) parseLegacy(path string, q url.Values) (legacyRequest, string) {
	req := legacyRequest{q: q, appID: q.Get("appid")}
	var prefixes []string
	if l, ok := s.loginApp(req.appID); ok {
		req.name, prefixes = l.Name, l.RedirectPrefixes
	} else if a, ok := s.app(req.appID); ok {
		req.name, prefixes, req.corpID = a.Name, a.RedirectPrefixes, a.CorpID
	} else {
		return legacyRequest{}, "appid 无效 · unknown appid"
	}
	var msg string
	if req.redirect, msg = checkRedirect(q.Get("redirect_uri"), prefixes); msg != "" {
		return legacyRequest{}, msg
	}
	if q.Get("response_type") != "code" {
		return legacyRequest{}, "response_type 必须为 code · response_type must be code"
	}
	switch scope := q.Get("scope"); {
	case scope == "snsapi_login":
	case scope == "snsapi_auth" && path == "/connect/oauth2/sns_authorize":
		req.silent = true
	default:
		return legacyRequest{}, "scope 无效 · unsupported scope"
	}
	return req, ""
}

// legacyUsers lists who may sign in: the app's corp, or for a login app
// everybody once per unionId.
func (s *Simulator) legacyUsers(req legacyRequest) []User {
	var out []User
	for _, u := range s.dir.Users {
		if req.corpID != "" && u.CorpID != req.corpID {
			continue
		}
		if slices.ContainsFunc(out, func(x User) bool { return x.UnionID == u.UnionID }) {
			continue
		}
		out = append(out, u)
	}
	return out
}

func (s *Simulator) legacyPage(path string, req legacyRequest, errMsg string) loginPageData {
	d := loginPageData{
		Title: "钉钉扫码登录 · DingTalk login", AppName: req.name, Action: path, Error: errMsg,
		Hidden: hiddenFrom(req.q, legacyParams...), Password: true,
	}
	pc := pageCorp{Name: "钉钉账号 · DingTalk accounts"}
	for _, u := range s.legacyUsers(req) {
		pc.Users = append(pc.Users, toPageUser(u, u.CorpID+":"+u.UserID))
	}
	d.Corps = []pageCorp{pc}
	return d
}

// handleLegacyAuthorize is E10 qrconnect and E11 sns_authorize. snsapi_auth
// answers at once with a code for the current DingTalk client user when the
// browser is the DingTalk client.
func (s *Simulator) handleLegacyAuthorize(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, msg := s.parseLegacy(r.URL.Path, r.URL.Query())
	if msg != "" {
		errorPage(w, msg)
		return
	}
	if tmp := r.URL.Query().Get("loginTmpCode"); tmp != "" && r.URL.Path == snsAuthorizePath && !req.silent {
		s.legacyTmpCodeLogin(w, r, req, tmp)
		return
	}
	if !req.silent {
		renderPage(w, http.StatusOK, "login", s.legacyPage(r.URL.Path, req, ""))
		return
	}
	if !inDingTalk(r) {
		errorPage(w, "请在钉钉客户端内打开 · snsapi_auth works only inside the DingTalk client")
		return
	}
	corpID := req.corpID
	if corpID == "" {
		corpID = s.clientCorp
	}
	u, ok := s.clientUser(corpID)
	if !ok {
		errorPage(w, "当前钉钉客户端没有登录用户 · no DingTalk client user")
		return
	}
	v := s.newCode(code{kind: CodeSNS, clientID: req.appID, corpID: u.CorpID, userID: u.UserID})
	http.Redirect(w, r, withParams(req.redirect, "code", v, "state", req.q.Get("state")), http.StatusFound)
}

// handleLegacySubmit completes the E10/E11 login page.
func (s *Simulator) handleLegacySubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		errorPage(w, "无效的请求 · bad form")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	req, msg := s.parseLegacy(r.URL.Path, r.PostForm)
	if msg != "" {
		errorPage(w, msg)
		return
	}
	state := req.q.Get("state")
	if r.PostForm.Get("action") == "cancel" {
		http.Redirect(w, r, withParams(req.redirect, "error", "access_denied", "state", state), http.StatusFound)
		return
	}
	users := s.legacyUsers(req)
	var u User
	var ok bool
	if r.PostForm.Get("action") == "password" {
		if u, ok = matchAccount(users, r.PostForm.Get("account"), r.PostForm.Get("password")); !ok {
			renderPage(w, http.StatusOK, "login", s.legacyPage(r.URL.Path, req, "账号或密码错误 · wrong account or password"))
			return
		}
	} else {
		corpID, userID := formUser(r.PostForm.Get("user"))
		i := slices.IndexFunc(users, func(x User) bool { return x.CorpID == corpID && x.UserID == userID })
		if i < 0 {
			renderPage(w, http.StatusOK, "login", s.legacyPage(r.URL.Path, req, "请选择一个成员 · pick a member"))
			return
		}
		u = users[i]
	}
	v := s.newCode(code{kind: CodeSNS, clientID: req.appID, corpID: u.CorpID, userID: u.UserID})
	http.Redirect(w, r, withParams(req.redirect, "code", v, "state", state), http.StatusFound)
}
