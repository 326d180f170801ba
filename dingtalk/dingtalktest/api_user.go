package dingtalktest

import (
	"net/http"
)

type contactUserResponse struct {
	Nick      string `json:"nick"`
	AvatarURL string `json:"avatarUrl,omitempty"`
	Mobile    string `json:"mobile,omitempty"`
	StateCode string `json:"stateCode,omitempty"`
	Email     string `json:"email,omitempty"`
	OpenID    string `json:"openId"`
	UnionID   string `json:"unionId"`
	Visitor   bool   `json:"visitor"`
}

type ssoUserInfoResponse struct {
	CorpID   string `json:"corpId"`
	CorpName string `json:"corpName"`
	UserID   string `json:"userId"`
	UserName string `json:"userName"`
	Email    string `json:"email,omitempty"`
	Avatar   string `json:"avatar,omitempty"`
	IsAdmin  bool   `json:"isAdmin"`
}

// handleContactUser is E3, /v1.0/contact/users/me with a user token.
func (s *Simulator) handleContactUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.apiToken(w, r, tokUser)
	if !ok {
		return
	}
	c, ok := s.clientOf(t)
	if !ok || !c.has(PermContactRead) {
		apiError(w, http.StatusForbidden, "Forbidden.AccessDenied.AccessTokenPermissionDenied",
			"没有调用该接口的权限，接口权限申请参考：https://open.dingtalk.com/document/orgapp/add-api-permission {requiredScopes=[Contact.User.Read]}")
		return
	}
	id := r.PathValue("unionId")
	u, found := s.user(t.corpID, t.userID)
	if !found || (id != "me" && id != u.UnionID) {
		apiError(w, http.StatusNotFound, "invalidParameter.user.notFound", "找不到该用户")
		return
	}
	resp := contactUserResponse{
		Nick:      displayNick(u),
		AvatarURL: u.Avatar,
		Email:     u.Email,
		OpenID:    openID(c.key, u.UnionID),
		UnionID:   u.UnionID,
	}
	if c.has(PermContactMobile) && u.Mobile != "" {
		resp.Mobile, resp.StateCode = u.Mobile, stateCode(u)
		if c.suite {
			resp.Mobile = maskMobile(u.Mobile)
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

// handleSSOUserInfo is E16.
func (s *Simulator) handleSSOUserInfo(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.apiToken(w, r, tokApp, tokCorp, tokUser, tokSSO, tokSuite)
	if !ok {
		return
	}
	if t.kind != tokSSO {
		apiError(w, http.StatusBadRequest, "invalidToken", "无效的token")
		return
	}
	cd, ok := s.takeCode(r.URL.Query().Get("code"), CodeSSO, "", t.corpID)
	if !ok {
		apiError(w, http.StatusBadRequest, "invalidCode", "无效的code")
		return
	}
	u, _ := s.user(cd.corpID, cd.userID)
	c, _ := s.corp(cd.corpID)
	writeJSON(w, http.StatusOK, ssoUserInfoResponse{
		CorpID: c.CorpID, CorpName: c.Name, UserID: u.UserID, UserName: u.Name,
		Email: u.Email, Avatar: u.Avatar, IsAdmin: u.Admin || sysLevel(u) == 1 || sysLevel(u) == 2,
	})
}

func displayNick(u User) string {
	if u.Nick != "" {
		return u.Nick
	}
	return u.Name
}

func stateCode(u User) string {
	if u.StateCode != "" {
		return u.StateCode
	}
	return "86"
}

// maskMobile hides the middle of a number the way ISV apps see it.
func maskMobile(m string) string {
	if len(m) < 7 {
		return m
	}
	return m[:3] + "****" + m[len(m)-4:]
}
