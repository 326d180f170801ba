package dingtalktest

import (
	"net/http"
)

// handleGetToken is E4, the legacy internal app token.
func (s *Simulator) handleGetToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	key, secret := q.Get("appkey"), q.Get("appsecret")
	s.mu.Lock()
	defer s.mu.Unlock()
	if key == "" {
		if q.Get("corpid") != "" {
			oapiError(w, 40089, "不合法的corpid或corpsecret")
			return
		}
		oapiError(w, 40035, "缺少参数 corpid or appkey")
		return
	}
	a, ok := s.app(key)
	if !ok || !secretOK(secret, a.AppSecret) {
		oapiError(w, 40096, "不合法的appKey或appSecret")
		return
	}
	v := s.issueToken(token{kind: tokApp, corpID: a.CorpID, clientID: a.AppKey}, TokenTTL, "app|"+a.AppKey)
	writeJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": v, "expires_in": int64(TokenTTL.Seconds())})
}

// handleSSOGetToken is E13: the legacy SSO token from corpid and SSO secret.
func (s *Simulator) handleSSOGetToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	if q.Get("corpid") == "" {
		oapiError(w, 40035, "缺少参数 corpid")
		return
	}
	c, ok := s.corp(q.Get("corpid"))
	if !ok || !secretOK(q.Get("corpsecret"), c.SSOSecret) {
		oapiError(w, 40089, "不合法的corpid或corpsecret")
		return
	}
	v := s.issueToken(token{kind: tokSSO, corpID: c.CorpID}, TokenTTL, "ssolegacy|"+c.CorpID)
	writeJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": v})
}

// handleGetSuiteToken is E17.
func (s *Simulator) handleGetSuiteToken(w http.ResponseWriter, r *http.Request) {
	p, err := oapiBody(r)
	if err != nil {
		oapiError(w, 40000, "参数错误")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	su, ok := s.suite(p["suite_key"])
	if !ok || !secretOK(p["suite_secret"], su.SuiteSecret) {
		oapiError(w, 40088, "不合法的suiteKey或suiteSecret")
		return
	}
	if p["suite_ticket"] == "" || p["suite_ticket"] != s.tickets[su.SuiteKey] {
		oapiError(w, 40085, "不合法的suiteTicket")
		return
	}
	v := s.issueToken(token{kind: tokSuite, clientID: su.SuiteKey}, TokenTTL, "suite|"+su.SuiteKey)
	writeJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok", "suite_access_token": v, "expires_in": int64(TokenTTL.Seconds())})
}

// handleGetCorpToken is E19: signed with the suite secret over
// timestamp + "\n" + suiteTicket; a new token per call.
func (s *Simulator) handleGetCorpToken(w http.ResponseWriter, r *http.Request) {
	p, err := oapiBody(r)
	if err != nil {
		oapiError(w, 40000, "参数错误")
		return
	}
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	secretOf := func(k string) (string, bool) {
		su, ok := s.suite(k)
		return su.SuiteSecret, ok
	}
	ticket := q.Get("suiteTicket")
	if e := s.checkSignature(q, secretOf, func(ts string) string { return ts + "\n" + ticket }); e != nil {
		oapiError(w, e.code, e.msg)
		return
	}
	key := q.Get("accessKey")
	if ticket == "" || ticket != s.tickets[key] {
		oapiError(w, 40085, "不合法的suiteTicket")
		return
	}
	corpID := p["auth_corpid"]
	if corpID == "" {
		oapiError(w, 41027, "缺少授权企业的corpid")
		return
	}
	c, _ := s.client(key)
	if !c.inCorp(corpID) {
		oapiError(w, 41030, "企业未对该套件授权")
		return
	}
	v := s.issueToken(token{kind: tokCorp, corpID: corpID, clientID: key}, TokenTTL, "")
	writeJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": v, "expires_in": int64(TokenTTL.Seconds())})
}
