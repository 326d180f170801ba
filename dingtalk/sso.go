package dingtalk

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// SSO holds the credentials of the app-management-backend login (admin
// console SSO, flow 4). ISVs use their own corpId and SSO secret, not the
// customer's.
type SSO struct {
	// CorpID is the organisation owning the SSO secret.
	CorpID string
	// SSOSecret is the "微应用管理后台 SSOSecret", not the app secret.
	SSOSecret string
	// TokenMethod picks v1.0 (E14 + E16, default) or legacy (E13 + E15).
	TokenMethod TokenMethod
}

// SSOClient exchanges admin-console codes for administrator identities.
type SSOClient struct {
	c      *Client
	sso    SSO
	legacy bool
	src    *tokenSource
}

// SSO returns a handle for s. Its token is cached by CorpID; the legacy
// token (E13) states no lifetime and is assumed to live 7200 s.
func (c *Client) SSO(s SSO) *SSOClient {
	h := &SSOClient{c: c, sso: s, legacy: s.TokenMethod == TokenLegacy}
	h.src = &tokenSource{c: c}
	if h.legacy {
		h.src.key = "dingtalk:sso:legacy:" + s.CorpID
		h.src.fetch = h.fetchLegacy
	} else {
		h.src.key = "dingtalk:sso:v1:" + s.CorpID
		h.src.fetch = h.fetchV1
	}
	return h
}

// AccessToken returns the cached SSO access token, fetching it when needed.
func (h *SSOClient) AccessToken(ctx context.Context) (string, error) { return h.src.token(ctx) }

// fetchLegacy is E13: GET /sso/gettoken?corpid=&corpsecret=.
func (h *SSOClient) fetchLegacy(ctx context.Context) (string, time.Duration, error) {
	return h.c.fetchToken(ctx, &call{
		host: oapiHost, method: http.MethodGet, path: "/sso/gettoken",
		query:   url.Values{"corpid": {h.sso.CorpID}, "corpsecret": {h.sso.SSOSecret}},
		secrets: []string{h.sso.SSOSecret},
	})
}

// fetchV1 is E14: POST /v1.0/oauth2/ssoAccessToken {corpid, ssoSecret}.
func (h *SSOClient) fetchV1(ctx context.Context) (string, time.Duration, error) {
	return h.c.fetchToken(ctx, &call{
		host: apiHost, method: http.MethodPost, path: "/v1.0/oauth2/ssoAccessToken",
		body: struct {
			CorpID    string `json:"corpid"`
			SSOSecret string `json:"ssoSecret"`
		}{h.sso.CorpID, h.sso.SSOSecret},
		secrets: []string{h.sso.SSOSecret},
	})
}

// SSOUserInfo is the administrator behind an admin-console code, in the
// v1.0 (E16) shape; legacy (E15) replies are mapped onto it.
type SSOUserInfo struct {
	// CorpID is the administrator's organisation.
	CorpID string `json:"corpId"`
	// CorpName is its name.
	CorpName string `json:"corpName"`
	// UserID is the administrator's userid.
	UserID string `json:"userId"`
	// UserName is the administrator's name.
	UserName string `json:"userName"`
	// Email is the administrator's email.
	Email string `json:"email"`
	// Avatar is the avatar URL.
	Avatar string `json:"avatar"`
	// IsAdmin reports an administrator (E15 is_sys).
	IsAdmin bool `json:"isAdmin"`
}

// legacySSOUserInfo is the E15 reply.
type legacySSOUserInfo struct {
	IsSys    bool `json:"is_sys"`
	UserInfo struct {
		Name   string `json:"name"`
		Avatar string `json:"avatar"`
		UserID string `json:"userid"`
		Email  string `json:"email"`
	} `json:"user_info"`
	CorpInfo struct {
		CorpID   string `json:"corpid"`
		CorpName string `json:"corp_name"`
	} `json:"corp_info"`
}

// UserInfo exchanges the code DingTalk appends to the backend URL for the
// administrator's identity (E16 GET /v1.0/oauth2/ssoUserInfo?code=, or E15
// GET /sso/getuserinfo?access_token=&code=). The code is one-time: the call
// is never repeated once it may have reached DingTalk.
func (h *SSOClient) UserInfo(ctx context.Context, code string) (*SSOUserInfo, error) {
	var info SSOUserInfo
	err := h.src.withToken(ctx, func(token string) error {
		cl := &call{
			method: http.MethodGet, query: url.Values{"code": {code}},
			token: token, retry: retryBeforeSend, secrets: []string{token, code},
		}
		if !h.legacy {
			cl.host, cl.path = apiHost, "/v1.0/oauth2/ssoUserInfo"
			return h.c.do(ctx, cl, &info)
		}
		cl.host, cl.path = oapiHost, "/sso/getuserinfo"
		var r legacySSOUserInfo
		if err := h.c.do(ctx, cl, &r); err != nil {
			return err
		}
		info = SSOUserInfo{
			CorpID: r.CorpInfo.CorpID, CorpName: r.CorpInfo.CorpName,
			UserID: r.UserInfo.UserID, UserName: r.UserInfo.Name,
			Email: r.UserInfo.Email, Avatar: r.UserInfo.Avatar, IsAdmin: r.IsSys,
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &info, nil
}
