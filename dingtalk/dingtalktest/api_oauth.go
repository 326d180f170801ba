package dingtalktest

import (
	"crypto/subtle"
	"net/http"
)

// Wire structs of the v1.0 token endpoints, written from the reference.

type userTokenRequest struct {
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
	Code         string `json:"code"`
	RefreshToken string `json:"refreshToken"`
	GrantType    string `json:"grantType"`
}

type userTokenResponse struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
	ExpireIn     int64  `json:"expireIn"`
	CorpID       string `json:"corpId,omitempty"`
}

type accessTokenResponse struct {
	AccessToken string `json:"accessToken"`
	ExpireIn    int64  `json:"expireIn"`
}

type snakeTokenResponse struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

func secretOK(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// handleUserAccessToken is E2.
func (s *Simulator) handleUserAccessToken(w http.ResponseWriter, r *http.Request) {
	var req userTokenRequest
	if !apiBody(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.client(req.ClientID)
	if !ok || !secretOK(req.ClientSecret, c.secret) {
		apiError(w, http.StatusBadRequest, "invalidClientIdOrSecret", "无效的clientId或者clientSecret")
		return
	}
	if !c.has(PermOpenAppBase) {
		apiError(w, http.StatusForbidden, "Forbidden.AccessDenied.AccessTokenPermissionDenied",
			"没有调用该接口的权限，接口权限申请参考：https://open.dingtalk.com/document/orgapp/add-api-permission {requiredScopes=[open_app_api_base]}")
		return
	}
	var rt refreshToken
	switch req.GrantType {
	case "authorization_code":
		cd, ok := s.takeCode(req.Code, CodeOAuth, c.key, "")
		if !ok {
			apiError(w, http.StatusBadRequest, "invalidCode", "无效的授权码")
			return
		}
		rt = refreshToken{clientID: c.key, corpID: cd.corpID, userID: cd.userID, reportCorp: cd.reportCorp}
	case "refresh_token":
		old, ok := s.refresh[req.RefreshToken]
		if !ok || old.clientID != c.key || !s.clock().Before(old.expires) {
			apiError(w, http.StatusBadRequest, "invalidCode", "无效的refreshToken")
			return
		}
		delete(s.refresh, req.RefreshToken)
		rt = *old
	default:
		apiError(w, http.StatusBadRequest, "unsupported.grant.type", "grantType is not supported")
		return
	}
	u, ok := s.user(rt.corpID, rt.userID)
	if !ok {
		apiError(w, http.StatusBadRequest, "invalidCode", "无效的授权码")
		return
	}
	at := s.issueToken(token{kind: tokUser, corpID: u.CorpID, clientID: c.key, userID: u.UserID, unionID: u.UnionID},
		TokenTTL, "user|"+c.key+"|"+u.CorpID+"|"+u.UserID)
	rt.expires = s.clock().Add(RefreshTokenTTL)
	rv := randomString(32)
	s.refresh[rv] = &rt
	resp := userTokenResponse{AccessToken: at, RefreshToken: rv, ExpireIn: int64(TokenTTL.Seconds())}
	if rt.reportCorp {
		resp.CorpID = rt.corpID
	}
	writeJSON(w, http.StatusOK, resp)
}

// handleAccessToken is E5.
func (s *Simulator) handleAccessToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AppKey    string `json:"appKey"`
		AppSecret string `json:"appSecret"`
	}
	if !apiBody(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.app(req.AppKey)
	if !ok || !secretOK(req.AppSecret, a.AppSecret) {
		apiError(w, http.StatusBadRequest, "invalidClientIdOrSecret", "无效的clientId或者clientSecret")
		return
	}
	v := s.issueToken(token{kind: tokApp, corpID: a.CorpID, clientID: a.AppKey}, TokenTTL, "app|"+a.AppKey)
	writeJSON(w, http.StatusOK, accessTokenResponse{AccessToken: v, ExpireIn: int64(TokenTTL.Seconds())})
}

// handleCorpToken is E6, the unified token of an app inside a corp.
func (s *Simulator) handleCorpToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		GrantType    string `json:"grant_type"`
	}
	if !apiBody(w, r, &req) {
		return
	}
	corpID := r.PathValue("corpId")
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.GrantType != "client_credentials" {
		apiError(w, http.StatusBadRequest, "unsupported.grant.type", "grant_type is not supported")
		return
	}
	if _, ok := s.corp(corpID); !ok {
		apiError(w, http.StatusInternalServerError, "unknownError", "unknown error")
		return
	}
	c, ok := s.client(req.ClientID)
	if !ok || !secretOK(req.ClientSecret, c.secret) {
		apiError(w, http.StatusBadRequest, "invalid.client", "client_id or client_secret is invalid")
		return
	}
	if !c.inCorp(corpID) {
		apiError(w, http.StatusUnauthorized, "unauthorized.client", "the client is not authorized by this corp")
		return
	}
	var v string
	if c.suite {
		v = s.issueToken(token{kind: tokCorp, corpID: corpID, clientID: c.key}, TokenTTL, "corp|"+c.key+"|"+corpID)
	} else {
		v = s.issueToken(token{kind: tokApp, corpID: corpID, clientID: c.key}, TokenTTL, "app|"+c.key)
	}
	writeJSON(w, http.StatusOK, snakeTokenResponse{AccessToken: v, ExpiresIn: int64(TokenTTL.Seconds())})
}

// handleSSOAccessToken is E14.
func (s *Simulator) handleSSOAccessToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		CorpID    string `json:"corpid"`
		SSOSecret string `json:"ssoSecret"`
	}
	if !apiBody(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.corp(req.CorpID)
	if !ok || !secretOK(req.SSOSecret, c.SSOSecret) {
		apiError(w, http.StatusBadRequest, "invalidClientIdOrSecret", "无效的corpid或者ssoSecret")
		return
	}
	v := s.issueToken(token{kind: tokSSO, corpID: c.CorpID}, SSOTokenTTL, "sso|"+c.CorpID)
	writeJSON(w, http.StatusOK, accessTokenResponse{AccessToken: v, ExpireIn: int64(SSOTokenTTL.Seconds())})
}

// handleSuiteAccessToken is E18.
func (s *Simulator) handleSuiteAccessToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		SuiteKey    string `json:"suiteKey"`
		SuiteSecret string `json:"suiteSecret"`
		SuiteTicket string `json:"suiteTicket"`
	}
	if !apiBody(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	su, ok := s.suite(req.SuiteKey)
	if !ok || !secretOK(req.SuiteSecret, su.SuiteSecret) {
		apiError(w, http.StatusBadRequest, "invalidClientIdOrSecret", "无效的suiteKey或者suiteSecret")
		return
	}
	if req.SuiteTicket == "" || req.SuiteTicket != s.tickets[su.SuiteKey] {
		apiError(w, http.StatusBadRequest, "invalidSuiteTicket", "无效的suiteTicket")
		return
	}
	v := s.issueToken(token{kind: tokSuite, clientID: su.SuiteKey}, TokenTTL, "suite|"+su.SuiteKey)
	writeJSON(w, http.StatusOK, accessTokenResponse{AccessToken: v, ExpireIn: int64(TokenTTL.Seconds())})
}

// handleCorpAccessToken is E20: a new token per call.
func (s *Simulator) handleCorpAccessToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		SuiteKey    string `json:"suiteKey"`
		SuiteSecret string `json:"suiteSecret"`
		AuthCorpID  string `json:"authCorpId"`
		SuiteTicket string `json:"suiteTicket"`
	}
	if !apiBody(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	su, ok := s.suite(req.SuiteKey)
	if !ok {
		apiError(w, http.StatusBadRequest, "invalidSuiteKey", "无效的suiteKey")
		return
	}
	if !secretOK(req.SuiteSecret, su.SuiteSecret) {
		apiError(w, http.StatusBadRequest, "invalidClientIdOrSecret", "无效的suiteKey或者suiteSecret")
		return
	}
	if req.SuiteTicket == "" || req.SuiteTicket != s.tickets[su.SuiteKey] {
		apiError(w, http.StatusBadRequest, "invalidSuiteTicket", "无效的suiteTicket")
		return
	}
	c, _ := s.client(su.SuiteKey)
	if !c.inCorp(req.AuthCorpID) {
		apiError(w, http.StatusBadRequest, "invalidAuthInfo", "企业未授权该应用")
		return
	}
	v := s.issueToken(token{kind: tokCorp, corpID: req.AuthCorpID, clientID: su.SuiteKey}, TokenTTL, "")
	writeJSON(w, http.StatusOK, accessTokenResponse{AccessToken: v, ExpireIn: int64(TokenTTL.Seconds())})
}
