package dingtalktest

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// oauthRequest is a validated E1 request.
type oauthRequest struct {
	q          url.Values
	client     client
	name       string
	redirect   *url.URL
	reportCorp bool
	corps      []string
	management bool
	embedded   bool
}

var oauthParams = []string{"client_id", "redirect_uri", "response_type", "scope", "prompt", "state",
	"org_type", "corpId", "exclusiveLogin", "exclusiveCorpId", "iframe"}

// parseOAuth validates E1 parameters; callers hold mu.
func (s *Simulator) parseOAuth(q url.Values) (oauthRequest, string) {
	c, ok := s.client(q.Get("client_id"))
	if !ok {
		return oauthRequest{}, "client_id 无效 · unknown client_id"
	}
	req := oauthRequest{q: q, client: c, corps: c.corps, embedded: q.Get("iframe") == "true"}
	if c.suite {
		su, _ := s.suite(c.key)
		req.name = su.Name
	} else {
		req.name = c.app.Name
	}
	var msg string
	if req.redirect, msg = checkRedirect(q.Get("redirect_uri"), c.redirectPrefixes); msg != "" {
		return oauthRequest{}, msg
	}
	if q.Get("response_type") != "code" {
		return oauthRequest{}, "response_type 必须为 code · response_type must be code"
	}
	scopes := strings.Fields(strings.ReplaceAll(q.Get("scope"), ",", " "))
	slices.Sort(scopes)
	switch strings.Join(scopes, " ") {
	case "openid":
	case "corpid openid":
		req.reportCorp = true
	default:
		return oauthRequest{}, "scope 必须为 openid 或 openid corpid · scope must be openid or openid corpid"
	}
	prompts := strings.Fields(q.Get("prompt"))
	if len(prompts) == 0 || slices.ContainsFunc(prompts, func(p string) bool { return p != "consent" && p != "login" }) {
		return oauthRequest{}, "prompt 无效，应为 consent · prompt must be consent"
	}
	restrict := ""
	if q.Get("exclusiveLogin") == "true" {
		restrict = q.Get("exclusiveCorpId")
	} else if req.reportCorp {
		restrict = q.Get("corpId")
		req.management = q.Get("org_type") == "management"
	}
	if restrict != "" {
		if !c.inCorp(restrict) {
			return oauthRequest{}, "corpId 不是该应用的组织 · corpId is not an organisation of this app"
		}
		req.corps = []string{restrict}
	}
	return req, ""
}

// eligible lists who may sign in through req, per corp.
func (s *Simulator) eligible(req oauthRequest) []User {
	var out []User
	for _, corpID := range req.corps {
		for _, u := range s.usersOf(corpID) {
			if req.admits(u) {
				out = append(out, u)
			}
		}
	}
	return out
}

// admits reports whether u may sign in through req: a member of one of its
// corps and, for the management backend, an administrator.
func (req oauthRequest) admits(u User) bool {
	if !slices.Contains(req.corps, u.CorpID) {
		return false
	}
	lvl := sysLevel(u)
	return !req.management || u.Admin || lvl == 1 || lvl == 2
}

func (s *Simulator) oauthPage(req oauthRequest, errMsg string) loginPageData {
	d := loginPageData{
		Title: "钉钉登录 · Sign in with DingTalk", AppName: req.name, Action: "/oauth2/auth", Error: errMsg,
		Hidden: hiddenFrom(req.q, oauthParams...), Password: true, Embedded: req.embedded,
	}
	users := s.eligible(req)
	for _, corpID := range req.corps {
		c, _ := s.corp(corpID)
		pc := pageCorp{ID: c.CorpID, Name: c.Name}
		for _, u := range users {
			if u.CorpID == corpID {
				pc.Users = append(pc.Users, toPageUser(u, u.CorpID+":"+u.UserID))
			}
		}
		d.Corps = append(d.Corps, pc)
	}
	return d
}

// handleAuthorize is E1: the new OAuth2 login page.
func (s *Simulator) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, msg := s.parseOAuth(r.URL.Query())
	if msg != "" {
		errorPage(w, msg)
		return
	}
	renderPage(w, http.StatusOK, "login", s.oauthPage(req, ""))
}

// handleAuthorizeSubmit completes E1: a picked member, an account and
// password, or a cancel.
func (s *Simulator) handleAuthorizeSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		errorPage(w, "无效的请求 · bad form")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	req, msg := s.parseOAuth(r.PostForm)
	if msg != "" {
		errorPage(w, msg)
		return
	}
	state := req.q.Get("state")
	if r.PostForm.Get("action") == "cancel" {
		s.finishOAuth(w, r, req, "", withParams(req.redirect, "error", "access_denied", "state", state))
		return
	}
	var u User
	var ok bool
	if r.PostForm.Get("action") == "password" {
		if u, ok = matchAccount(s.eligible(req), r.PostForm.Get("account"), r.PostForm.Get("password")); !ok {
			renderPage(w, http.StatusOK, "login", s.oauthPage(req, "账号或密码错误 · wrong account or password"))
			return
		}
	} else {
		u, ok = s.user(formUser(r.PostForm.Get("user")))
		if !ok || !req.admits(u) {
			renderPage(w, http.StatusOK, "login", s.oauthPage(req, "请选择一个成员 · pick a member"))
			return
		}
	}
	v := s.newCode(code{kind: CodeOAuth, clientID: req.client.key, corpID: u.CorpID, userID: u.UserID, reportCorp: req.reportCorp})
	s.finishOAuth(w, r, req, v, withParams(req.redirect, "authCode", v, "code", v, "state", state))
}

// finishOAuth redirects, or inside a DTFrameLogin iframe hands the result to
// the embedding page, whose origin must be the redirect_uri's.
func (s *Simulator) finishOAuth(w http.ResponseWriter, r *http.Request, req oauthRequest, authCode, location string) {
	if !req.embedded {
		http.Redirect(w, r, location, http.StatusFound)
		return
	}
	msg := map[string]string{"type": "dingtalktest:login", "state": req.q.Get("state")}
	if authCode == "" {
		msg["error"] = "access_denied"
	} else {
		msg["redirectUrl"], msg["authCode"] = location, authCode
	}
	origin := req.redirect.Scheme + "://" + req.redirect.Host
	renderPage(w, http.StatusOK, "relay", map[string]any{"Message": msg, "TargetOrigin": origin})
}
