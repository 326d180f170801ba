package dingtalktest_test

import (
	"testing"

	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
)

func TestSSOLegacy(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	tr := get(t, srv, "/sso/gettoken?corpid="+dingtalktest.DemoCorpID+"&corpsecret="+dingtalktest.DemoSSOSecret)
	wantOAPI(t, tr, 0)
	if tr.str("access_token") == "" || tr.has("expires_in") {
		t.Fatalf("E13 = %s", tr.raw)
	}
	wantOAPI(t, get(t, srv, "/sso/gettoken?corpid="+dingtalktest.DemoCorpID+"&corpsecret=nope"), 40089)
	tok := tr.str("access_token")
	code := srv.IssueCode(dingtalktest.CodeSSO, "", dingtalktest.DemoCorpID, "manager4721")
	r := get(t, srv, "/sso/getuserinfo?access_token="+tok+"&code="+code)
	wantOAPI(t, r, 0)
	if r.str("is_sys") != "true" || r.str("user_info", "userid") != "manager4721" || r.str("user_info", "name") != "张三" ||
		r.str("corp_info", "corpid") != dingtalktest.DemoCorpID || r.str("corp_info", "corp_name") != dingtalktest.DemoCorpName {
		t.Fatalf("E15 = %s", r.raw)
	}
	wantOAPI(t, get(t, srv, "/sso/getuserinfo?access_token="+tok+"&code="+code), 41007)
	// A workspace (JSAPI) code is not an SSO code.
	j := srv.IssueCode(dingtalktest.CodeJSAPI, dingtalktest.DemoAppKey, dingtalktest.DemoCorpID, "manager4721")
	wantOAPI(t, get(t, srv, "/sso/getuserinfo?access_token="+tok+"&code="+j), 41007)
	// An app token is not an SSO token.
	wantGateway(t, get(t, srv, "/sso/getuserinfo?access_token="+demoToken(t, srv)+"&code=x"), "40014")
}

func TestSSOV1(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	tr := postJSON(t, srv, "/v1.0/oauth2/ssoAccessToken", map[string]string{"corpid": dingtalktest.DemoCorp2ID, "ssoSecret": dingtalktest.DemoSSO2Secret})
	if tr.status != 200 || tr.str("accessToken") == "" || tr.str("expireIn") != "3600" {
		t.Fatalf("E14 = %d %s", tr.status, tr.raw)
	}
	wantAPIError(t, postJSON(t, srv, "/v1.0/oauth2/ssoAccessToken", map[string]string{"corpid": dingtalktest.DemoCorp2ID, "ssoSecret": "x"}),
		400, "invalidClientIdOrSecret")
	hdr := []string{"x-acs-dingtalk-access-token", tr.str("accessToken")}
	code := srv.IssueCode(dingtalktest.CodeSSO, "", dingtalktest.DemoCorp2ID, "bob.smith")
	r := get(t, srv, "/v1.0/oauth2/ssoUserInfo?code="+code, hdr...)
	want := map[string]string{"corpId": dingtalktest.DemoCorp2ID, "corpName": dingtalktest.DemoCorp2Name, "userId": "bob.smith",
		"userName": "Bob Smith", "email": "bob@example.com", "isAdmin": "true"}
	for k, v := range want {
		if r.str(k) != v {
			t.Errorf("E16 %s = %q, want %q (%s)", k, r.str(k), v, r.raw)
		}
	}
	wantAPIError(t, get(t, srv, "/v1.0/oauth2/ssoUserInfo?code="+code, hdr...), 400, "invalidCode")
	// Codes of the other corp do not work with this corp's SSO token.
	other := srv.IssueCode(dingtalktest.CodeSSO, "", dingtalktest.DemoCorpID, "manager4721")
	wantAPIError(t, get(t, srv, "/v1.0/oauth2/ssoUserInfo?code="+other, hdr...), 400, "invalidCode")
	// A QR authCode is not an SSO code.
	q := srv.IssueCode(dingtalktest.CodeOAuth, dingtalktest.DemoApp2Key, dingtalktest.DemoCorp2ID, "bob.smith")
	wantAPIError(t, get(t, srv, "/v1.0/oauth2/ssoUserInfo?code="+q, hdr...), 400, "invalidCode")
	// An app token is not an SSO token.
	app := postJSON(t, srv, "/v1.0/oauth2/accessToken", map[string]string{"appKey": dingtalktest.DemoApp2Key, "appSecret": dingtalktest.DemoApp2Secret})
	wantAPIError(t, get(t, srv, "/v1.0/oauth2/ssoUserInfo?code=x", "x-acs-dingtalk-access-token", app.str("accessToken")), 400, "invalidToken")
}
