package dingtalk

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// Scopes of the new OAuth2 login page (E1).
const (
	// ScopeOpenID asks for the user's identity.
	ScopeOpenID = "openid"
	// ScopeOpenIDCorpID also asks which organisation the user picks; E2
	// then returns its corpId.
	ScopeOpenIDCorpID = "openid corpid"
)

// AuthCodeParams are the query parameters of the new OAuth2 login page
// (E1, https://login.dingtalk.com/oauth2/auth). response_type is always
// "code".
type AuthCodeParams struct {
	// ClientID is the AppKey (internal app) or SuiteKey (ISV). Required.
	ClientID string
	// RedirectURI is the registered callback URL. Required.
	RedirectURI string
	// Scope is ScopeOpenID (default) or ScopeOpenIDCorpID.
	Scope string
	// Prompt defaults to "consent".
	Prompt string
	// State is returned unchanged on the callback.
	State string
	// OrgType "management" lists only orgs the user administers (with
	// ScopeOpenIDCorpID).
	OrgType string
	// CorpID pre-selects an organisation (with ScopeOpenIDCorpID).
	CorpID string
	// ExclusiveLogin selects exclusive-account (专属账号) login.
	ExclusiveLogin bool
	// ExclusiveCorpID is the organisation for ExclusiveLogin.
	ExclusiveCorpID string
}

// AuthCodeURL returns the E1 URL to send the browser to. DingTalk redirects
// back to RedirectURI with authCode (and code, the same value) and state,
// or with error and state.
func (c *Client) AuthCodeURL(p AuthCodeParams) string {
	q := url.Values{}
	q.Set("redirect_uri", p.RedirectURI)
	q.Set("response_type", "code")
	q.Set("client_id", p.ClientID)
	q.Set("scope", cmpOr(p.Scope, ScopeOpenID))
	q.Set("prompt", cmpOr(p.Prompt, "consent"))
	setIf(q, "state", p.State)
	setIf(q, "org_type", p.OrgType)
	setIf(q, "corpId", p.CorpID)
	if p.ExclusiveLogin {
		q.Set("exclusiveLogin", "true")
	}
	setIf(q, "exclusiveCorpId", p.ExclusiveCorpID)
	return c.ep.Login + "/oauth2/auth?" + encodeQuery(q)
}

// encodeQuery encodes q with spaces as %20 rather than +, so "openid corpid"
// survives servers that do not treat + as a space.
func encodeQuery(q url.Values) string {
	return strings.ReplaceAll(q.Encode(), "+", "%20")
}

func setIf(q url.Values, k, v string) {
	if v != "" {
		q.Set(k, v)
	}
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// UserToken is the E2 reply: a user access token for /v1.0/contact/users/me.
type UserToken struct {
	// AccessToken is the user access token.
	AccessToken string `json:"accessToken"`
	// RefreshToken renews AccessToken (valid 30 days).
	RefreshToken string `json:"refreshToken"`
	// ExpireIn is AccessToken's lifetime in seconds (7200).
	ExpireIn int64 `json:"expireIn"`
	// CorpID is the organisation the user picked (scope "openid corpid");
	// may be empty otherwise.
	CorpID string `json:"corpId"`
}

// userToken is E2: POST /v1.0/oauth2/userAccessToken. Codes and refresh
// tokens are one-time values, so only dial failures are retried.
func (c *Client) userToken(ctx context.Context, clientID, clientSecret, grantType, value string) (*UserToken, error) {
	body := struct {
		ClientID     string `json:"clientId"`
		ClientSecret string `json:"clientSecret"`
		Code         string `json:"code,omitempty"`
		RefreshToken string `json:"refreshToken,omitempty"`
		GrantType    string `json:"grantType"`
	}{ClientID: clientID, ClientSecret: clientSecret, GrantType: grantType}
	if grantType == "refresh_token" {
		body.RefreshToken = value
	} else {
		body.Code = value
	}
	var t UserToken
	err := c.do(ctx, &call{
		host: apiHost, method: http.MethodPost, path: "/v1.0/oauth2/userAccessToken",
		body: body, retry: retryBeforeSend,
		secrets: []string{clientSecret, value},
	}, &t)
	if err != nil {
		return nil, err
	}
	if t.AccessToken == "" {
		return nil, errors.New("dingtalk: POST /v1.0/oauth2/userAccessToken: reply has no accessToken")
	}
	return &t, nil
}

// UserProfile is the E3 reply (/v1.0/contact/users/me). Fields the app has
// no permission for are empty.
type UserProfile struct {
	// Nick is the DingTalk nickname.
	Nick string `json:"nick"`
	// AvatarURL is the avatar image URL.
	AvatarURL string `json:"avatarUrl"`
	// Mobile is the phone number (masked for ISV apps).
	Mobile string `json:"mobile"`
	// StateCode is the calling code, e.g. "86".
	StateCode string `json:"stateCode"`
	// Email is the user's personal email.
	Email string `json:"email"`
	// OpenID is the per-app user id.
	OpenID string `json:"openId"`
	// UnionID is the developer-account-wide user id.
	UnionID string `json:"unionId"`
	// LoginEmail is the login email, when set.
	LoginEmail string `json:"loginEmail"`
	// Visitor reports a visitor account.
	Visitor bool `json:"visitor"`
}

// CurrentUser returns the profile of the user owning userAccessToken (E3,
// GET /v1.0/contact/users/me).
func (c *Client) CurrentUser(ctx context.Context, userAccessToken string) (*UserProfile, error) {
	var p UserProfile
	err := c.do(ctx, &call{
		host: apiHost, method: http.MethodGet, path: "/v1.0/contact/users/me",
		token: userAccessToken, secrets: []string{userAccessToken},
	}, &p)
	if err != nil {
		return nil, err
	}
	return &p, nil
}
