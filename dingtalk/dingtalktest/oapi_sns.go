package dingtalktest

import (
	"net/http"
)

type snsUserInfo struct {
	Nick                 string `json:"nick"`
	UnionID              string `json:"unionid"`
	OpenID               string `json:"openid"`
	MainOrgAuthHighLevel bool   `json:"main_org_auth_high_level"`
}

// handleSNSUserInfo is E12: a legacy sns code to the person, signed with the
// login app's secret over the timestamp.
func (s *Simulator) handleSNSUserInfo(w http.ResponseWriter, r *http.Request) {
	p, err := oapiBody(r)
	if err != nil {
		oapiError(w, 40000, "参数错误")
		return
	}
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	secretOf := func(k string) (string, bool) {
		if l, ok := s.loginApp(k); ok {
			return l.AppSecret, true
		}
		a, ok := s.app(k)
		return a.AppSecret, ok
	}
	if e := s.checkSignature(q, secretOf, func(ts string) string { return ts }); e != nil {
		oapiError(w, e.code, e.msg)
		return
	}
	if p["tmp_auth_code"] == "" {
		oapiError(w, 41026, "缺少参数tmp_auth_code")
		return
	}
	key := q.Get("accessKey")
	cd, ok := s.takeCode(p["tmp_auth_code"], CodeSNS, key, "")
	if !ok {
		oapiError(w, 40078, "不存在的临时授权码")
		return
	}
	u, _ := s.user(cd.corpID, cd.userID)
	writeJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok", "user_info": snsUserInfo{
		Nick: displayNick(u), UnionID: u.UnionID, OpenID: openID(key, u.UnionID), MainOrgAuthHighLevel: true,
	}})
}

// handleSSOGetUserInfo is E15: the admin behind a console SSO code.
func (s *Simulator) handleSSOGetUserInfo(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.oapiToken(w, r, tokSSO)
	if !ok {
		return
	}
	cd, ok := s.takeCode(r.URL.Query().Get("code"), CodeSSO, "", t.corpID)
	if !ok {
		oapiError(w, 41007, "无效的ssoCode")
		return
	}
	u, _ := s.user(cd.corpID, cd.userID)
	c, _ := s.corp(cd.corpID)
	lvl := sysLevel(u)
	writeJSON(w, http.StatusOK, map[string]any{
		"errcode": 0, "errmsg": "ok", "is_sys": u.Admin || lvl == 1 || lvl == 2,
		"user_info": map[string]string{"name": u.Name, "avatar": u.Avatar, "userid": u.UserID, "email": u.Email},
		"corp_info": map[string]string{"corpid": c.CorpID, "corp_name": c.Name},
	})
}
