package dingtalk_test

import (
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/dingbridge/dingbridge/dingtalk"
)

func parseURL(t *testing.T, raw string) (*url.URL, url.Values) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u, u.Query()
}

func TestAuthCodeURL(t *testing.T) {
	c := dingtalk.NewClient(dingtalk.Config{})
	raw := c.App(dingtalk.App{AppKey: appKey, AppSecret: appSecret}).AuthCodeURL(dingtalk.AuthCodeParams{
		RedirectURI:     "https://sso.example.com/login/callback?x=1",
		State:           "st/1+2",
		Scope:           dingtalk.ScopeOpenIDCorpID,
		OrgType:         "management",
		CorpID:          corpID,
		ExclusiveLogin:  true,
		ExclusiveCorpID: "dingexclusive",
	})
	u, got := parseURL(t, raw)
	if u.Scheme+"://"+u.Host+u.Path != "https://login.dingtalk.com/oauth2/auth" {
		t.Errorf("URL base = %s", raw)
	}
	want := url.Values{
		"redirect_uri": {"https://sso.example.com/login/callback?x=1"}, "response_type": {"code"},
		"client_id": {appKey}, "scope": {"openid corpid"}, "prompt": {"consent"}, "state": {"st/1+2"},
		"org_type": {"management"}, "corpId": {corpID}, "exclusiveLogin": {"true"}, "exclusiveCorpId": {"dingexclusive"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("query = %v\nwant %v", got, want)
	}
	if !strings.Contains(raw, "scope=openid%20corpid") {
		t.Errorf("space in scope not encoded as %%20: %s", raw)
	}

	_, min := parseURL(t, c.AuthCodeURL(dingtalk.AuthCodeParams{ClientID: appKey, RedirectURI: "https://a/cb"}))
	wantMin := url.Values{"redirect_uri": {"https://a/cb"}, "response_type": {"code"}, "client_id": {appKey},
		"scope": {"openid"}, "prompt": {"consent"}}
	if !reflect.DeepEqual(min, wantMin) {
		t.Errorf("minimal query = %v, want %v", min, wantMin)
	}
}

func TestLegacyURLs(t *testing.T) {
	c := dingtalk.NewClient(dingtalk.Config{Endpoints: dingtalk.Endpoints{OAPI: "http://fake.test/"}})
	p := dingtalk.LegacyAuthParams{AppID: "dingoaappid", RedirectURI: "https://a/cb", State: "s1"}

	u, got := parseURL(t, c.QRConnectURL(p))
	if u.Host != "fake.test" || u.Path != "/connect/qrconnect" {
		t.Errorf("QRConnectURL = %s", u)
	}
	want := url.Values{"appid": {"dingoaappid"}, "response_type": {"code"}, "scope": {"snsapi_login"}, "state": {"s1"}, "redirect_uri": {"https://a/cb"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("qrconnect query = %v, want %v", got, want)
	}

	p.Scope, p.LoginTmpCode = dingtalk.ScopeSNSAuth, "tmp123"
	u, got = parseURL(t, c.SNSAuthorizeURL(p))
	if u.Path != "/connect/oauth2/sns_authorize" {
		t.Errorf("SNSAuthorizeURL = %s", u)
	}
	want.Set("scope", "snsapi_auth")
	want.Set("loginTmpCode", "tmp123")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sns_authorize query = %v, want %v", got, want)
	}
}

func TestUserAgent(t *testing.T) {
	for _, tc := range []struct {
		name, ua string
		in       bool
		version  string
	}{
		{"android", "Mozilla/5.0 (Linux; U; Android 10; zh-CN; V1981A Build/QP1A.190711.020) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/69.0.3497.100 UWS/3.22.0.36 Mobile Safari/537.36 AliApp(DingTalk/6.0.0) com.alibaba.android.rimet/13534898 Channel/212200 language/zh-CN UT4Aplus/0.2.25", true, "6.0.0"},
		{"ios", "Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 AliApp(DingTalk/7.0.45) com.laiwang.DingTalk/28791234 Channel/201200 language/zh-Hans-CN", true, "7.0.45"},
		{"windows", "Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/58.0.3029.110 Safari/537.36 dingtalk-win/1.0.0 nw(0.14.7) DingTalk(4.6.39-Release.3) Mojo/1.0.0 Native AppType(release)", true, "4.6.39-Release.3"},
		{"mac", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) DingTalk(7.0.50) nw Channel/201200 macOS", true, "7.0.50"},
		{"web-view without version", "Mozilla/5.0 dd-web dingtalk miniprogram", true, ""},
		{"link preview crawler", "DingTalk-LinkService/1.0", false, ""},
		{"chrome", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36", false, ""},
		{"empty", "", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := dingtalk.IsDingTalkUserAgent(tc.ua); got != tc.in {
				t.Errorf("IsDingTalkUserAgent = %v, want %v", got, tc.in)
			}
			if got := dingtalk.DingTalkVersion(tc.ua); got != tc.version {
				t.Errorf("DingTalkVersion = %q, want %q", got, tc.version)
			}
		})
	}
}
