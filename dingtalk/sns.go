package dingtalk

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
)

// SNSSignature is the signature of E12 (POST /sns/getuserinfo_bycode):
// Base64(HMAC-SHA256(key = appSecret, message = timestamp)), timestamp
// being Unix milliseconds in decimal. The result is not URL-encoded;
// url.Values encodes it exactly once.
func SNSSignature(appSecret, timestamp string) string {
	return sign(appSecret, timestamp)
}

// ISVSignature is the signature of the ISV calls (E19 get_corp_token, E21
// legacy get_auth_info): Base64(HMAC-SHA256(key = suiteSecret, message =
// timestamp + "\n" + suiteTicket)). Not URL-encoded.
func ISVSignature(suiteSecret, timestamp, suiteTicket string) string {
	return sign(suiteSecret, timestamp+"\n"+suiteTicket)
}

func sign(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// LegacyAuthParams are the query parameters of the legacy browser pages
// E10 (/connect/qrconnect) and E11 (/connect/oauth2/sns_authorize).
// response_type is always "code".
type LegacyAuthParams struct {
	// AppID is the login app's appId (AppKey). Required.
	AppID string
	// RedirectURI is the registered callback. Required.
	RedirectURI string
	// State is returned unchanged.
	State string
	// Scope is ScopeSNSLogin (default) or, for E11 inside the DingTalk
	// client, ScopeSNSAuth.
	Scope string
	// LoginTmpCode is the legacy DDLogin iframe's loginTmpCode (E11 only).
	LoginTmpCode string
}

// Scopes of the legacy login pages.
const (
	// ScopeSNSLogin is the QR / account login.
	ScopeSNSLogin = "snsapi_login"
	// ScopeSNSAuth is the silent login inside the DingTalk client (E11).
	ScopeSNSAuth = "snsapi_auth"
)

// QRConnectURL returns the legacy QR login page URL (E10); the callback
// receives code and state for SNSUserInfo. Scope and LoginTmpCode are
// ignored: the page takes snsapi_login only.
func (c *Client) QRConnectURL(p LegacyAuthParams) string {
	p.Scope, p.LoginTmpCode = ScopeSNSLogin, ""
	return c.ep.OAPI + "/connect/qrconnect?" + legacyQuery(p)
}

// SNSAuthorizeURL returns the legacy account login / in-client silent login
// URL (E11); the callback receives code and state for SNSUserInfo.
func (c *Client) SNSAuthorizeURL(p LegacyAuthParams) string {
	return c.ep.OAPI + "/connect/oauth2/sns_authorize?" + legacyQuery(p)
}

func legacyQuery(p LegacyAuthParams) string {
	q := url.Values{}
	q.Set("appid", p.AppID)
	q.Set("response_type", "code")
	q.Set("scope", cmpOr(p.Scope, ScopeSNSLogin))
	q.Set("state", p.State)
	q.Set("redirect_uri", p.RedirectURI)
	setIf(q, "loginTmpCode", p.LoginTmpCode)
	return encodeQuery(q)
}

// SNSUserInfo is the E12 reply's user_info.
type SNSUserInfo struct {
	// Nick is the DingTalk nickname.
	Nick string `json:"nick"`
	// UnionID is the developer-account-wide id.
	UnionID string `json:"unionid"`
	// OpenID is the per-app id.
	OpenID string `json:"openid"`
	// MainOrgAuthHighLevel reports a highly verified main organisation.
	MainOrgAuthHighLevel bool `json:"main_org_auth_high_level"`
}

// snsUserInfo is E12: POST /sns/getuserinfo_bycode?accessKey=&timestamp=&signature=
// with {"tmp_auth_code"}. The code is one-time.
func (c *Client) snsUserInfo(ctx context.Context, accessKey, appSecret, code string) (*SNSUserInfo, error) {
	ts := strconv.FormatInt(c.now().UnixMilli(), 10)
	var r struct {
		UserInfo SNSUserInfo `json:"user_info"`
	}
	err := c.do(ctx, &call{
		host: oapiHost, method: http.MethodPost, path: "/sns/getuserinfo_bycode",
		query: url.Values{"accessKey": {accessKey}, "timestamp": {ts}, "signature": {SNSSignature(appSecret, ts)}},
		body: struct {
			TmpAuthCode string `json:"tmp_auth_code"`
		}{code},
		retry:   retryBeforeSend,
		secrets: []string{appSecret, code},
	}, &r)
	if err != nil {
		return nil, err
	}
	return &r.UserInfo, nil
}
