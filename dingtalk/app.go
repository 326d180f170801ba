package dingtalk

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"
)

// TokenMethod selects which DingTalk endpoint issues a handle's access
// token. The zero value is TokenV1.
type TokenMethod int

const (
	// TokenV1 uses api.dingtalk.com: POST /v1.0/oauth2/accessToken (apps),
	// /v1.0/oauth2/suiteAccessToken (suite), /v1.0/oauth2/corpAccessToken
	// (ISV corp), /v1.0/oauth2/ssoAccessToken (SSO).
	TokenV1 TokenMethod = iota
	// TokenLegacy uses oapi.dingtalk.com: GET /gettoken (apps),
	// POST /service/get_suite_token (suite), signed POST
	// /service/get_corp_token (ISV corp), GET /sso/gettoken (SSO).
	TokenLegacy
	// TokenUnified uses POST /v1.0/oauth2/{corpId}/token with
	// client_credentials, for internal apps (App.CorpID required) and ISV
	// corp tokens. For suite and SSO tokens it means TokenV1.
	TokenUnified
)

// App is an internal (enterprise) app, or a legacy login app for
// SNSUserInfo (AppKey = appId).
type App struct {
	// AppKey is the app's AppKey (Client ID).
	AppKey string
	// AppSecret is the app's AppSecret (Client Secret).
	AppSecret string
	// AgentID is the app's agent id; informational, for callers.
	AgentID int64
	// CorpID is the app's organisation. Required for TokenUnified.
	CorpID string
	// TokenMethod selects the app-token endpoint.
	TokenMethod TokenMethod
}

// AppClient calls DingTalk as one internal app. Its CorpClient methods
// (UserInfoByCode, User, …) use the app's access token.
type AppClient struct {
	*CorpClient
	app App
}

// App returns a handle that calls DingTalk with app's credentials. Handles
// are cheap; tokens are cached in the Client, keyed by AppKey.
func (c *Client) App(app App) *AppClient {
	a := &AppClient{app: app}
	src := &tokenSource{c: c}
	switch app.TokenMethod {
	case TokenLegacy:
		src.key = "dingtalk:app:gettoken:" + app.AppKey
		src.fetch = a.fetchGetToken
	case TokenUnified:
		src.key = "dingtalk:app:unified:" + app.AppKey + ":" + app.CorpID
		src.fetch = func(ctx context.Context) (string, time.Duration, error) {
			if app.CorpID == "" {
				return "", 0, errors.New("dingtalk: TokenUnified needs App.CorpID")
			}
			return c.unifiedToken(ctx, app.CorpID, app.AppKey, app.AppSecret)
		}
	default:
		src.key = "dingtalk:app:v1:" + app.AppKey
		src.fetch = a.fetchV1
	}
	a.CorpClient = &CorpClient{c: c, corpID: app.CorpID, src: src}
	return a
}

// App returns the credentials the handle was made with.
func (a *AppClient) App() App { return a.app }

// fetchGetToken is E4: GET /gettoken?appkey=&appsecret=.
func (a *AppClient) fetchGetToken(ctx context.Context) (string, time.Duration, error) {
	return a.c.fetchToken(ctx, &call{
		host: oapiHost, method: http.MethodGet, path: "/gettoken",
		query:   url.Values{"appkey": {a.app.AppKey}, "appsecret": {a.app.AppSecret}},
		secrets: []string{a.app.AppSecret},
	})
}

// fetchV1 is E5: POST /v1.0/oauth2/accessToken {appKey, appSecret}.
func (a *AppClient) fetchV1(ctx context.Context) (string, time.Duration, error) {
	return a.c.fetchToken(ctx, &call{
		host: apiHost, method: http.MethodPost, path: "/v1.0/oauth2/accessToken",
		body: struct {
			AppKey    string `json:"appKey"`
			AppSecret string `json:"appSecret"`
		}{a.app.AppKey, a.app.AppSecret},
		secrets: []string{a.app.AppSecret},
	})
}

// unifiedToken is E6: POST /v1.0/oauth2/{corpId}/token with a snake_case
// body, for internal apps and ISV suites alike.
func (c *Client) unifiedToken(ctx context.Context, corpID, clientID, clientSecret string) (string, time.Duration, error) {
	return c.fetchToken(ctx, &call{
		host: apiHost, method: http.MethodPost, path: "/v1.0/oauth2/" + url.PathEscape(corpID) + "/token",
		body: struct {
			ClientID     string `json:"client_id"`
			ClientSecret string `json:"client_secret"`
			GrantType    string `json:"grant_type"`
		}{clientID, clientSecret, "client_credentials"},
		secrets: []string{clientSecret},
	})
}

// ExchangeCode exchanges the authCode of the new OAuth2 login (E1 callback
// or DTFrameLogin) for a user access token (E2), with the app's AppKey as
// clientId. The code is never retried once the request may have reached
// DingTalk.
func (a *AppClient) ExchangeCode(ctx context.Context, code string) (*UserToken, error) {
	return a.c.userToken(ctx, a.app.AppKey, a.app.AppSecret, "authorization_code", code)
}

// RefreshUserToken renews a user access token with its refresh token (E2).
func (a *AppClient) RefreshUserToken(ctx context.Context, refreshToken string) (*UserToken, error) {
	return a.c.userToken(ctx, a.app.AppKey, a.app.AppSecret, "refresh_token", refreshToken)
}

// AuthCodeURL returns the E1 login URL with p.ClientID set to the AppKey.
func (a *AppClient) AuthCodeURL(p AuthCodeParams) string {
	p.ClientID = a.app.AppKey
	return a.c.AuthCodeURL(p)
}

// SNSUserInfo exchanges a legacy login code (E10/E11 callback) for the
// user's identity (E12), signing with the app's AppKey (appId) and
// AppSecret.
func (a *AppClient) SNSUserInfo(ctx context.Context, tmpAuthCode string) (*SNSUserInfo, error) {
	return a.c.snsUserInfo(ctx, a.app.AppKey, a.app.AppSecret, tmpAuthCode)
}
