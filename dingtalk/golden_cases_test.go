package dingtalk_test

import (
	"context"

	"github.com/dingbridge/dingbridge/dingtalk"
)

// goldenCases pairs each endpoint's exact request (per the DingTalk
// reference, §3) with recorded reply samples in testdata/.
func goldenCases() []goldenCase {
	const (
		post = "POST"
		get  = "GET"
	)
	e2Body := `{"clientId":"` + appKey + `","clientSecret":"` + appSecret + `","code":"` + userCode + `","grantType":"authorization_code"}`
	e2 := wantRequest{method: post, path: "/v1.0/oauth2/userAccessToken", body: e2Body}
	e3 := wantRequest{method: get, path: "/v1.0/contact/users/me", header: "usr-tok-2a9f"}
	e7 := wantRequest{method: post, path: "/topapi/v2/user/getuserinfo", query: q("access_token", "tok-app"), body: `{"code":"` + userCode + `"}`}
	e8 := wantRequest{method: post, path: "/topapi/v2/user/get", query: q("access_token", "tok-app"), body: `{"userid":"zhangsan","language":"zh_CN"}`}
	e9 := wantRequest{method: post, path: "/topapi/user/getbyunionid", query: q("access_token", "tok-app"), body: `{"unionid":"z21HjQliSzpw0YWCNxmii6u2Os62cZ62iSZ"}`}
	e12 := wantRequest{
		method: post, path: "/sns/getuserinfo_bycode",
		query: q("accessKey", "dingexampleappkey", "timestamp", "1546084445901", "signature", "HCbG3xNE3vzhO+u7qCUL1jS5hsu2n5r2cFhnTrtyDAE="),
		raw:   "accessKey=dingexampleappkey&signature=HCbG3xNE3vzhO%2Bu7qCUL1jS5hsu2n5r2cFhnTrtyDAE%3D&timestamp=1546084445901",
		body:  `{"tmp_auth_code":"` + userCode + `"}`,
	}
	e12Call := func(ctx context.Context, c *dingtalk.Client) (any, error) {
		return c.App(dingtalk.App{AppKey: "dingexampleappkey", AppSecret: "testappSecret"}).SNSUserInfo(ctx, userCode)
	}
	e15 := wantRequest{method: get, path: "/sso/getuserinfo", query: q("access_token", "tok-sso-legacy", "code", userCode)}
	e16 := wantRequest{method: get, path: "/v1.0/oauth2/ssoUserInfo", query: q("code", userCode), header: "tok-sso"}
	e22 := wantRequest{method: post, path: "/topapi/v2/department/get", query: q("access_token", "tok-corp"), body: `{"dept_id":5047320034}`}

	appToken := func(m dingtalk.TokenMethod) func(context.Context, *dingtalk.Client) (any, error) {
		return func(ctx context.Context, c *dingtalk.Client) (any, error) { return app(c, m).AccessToken(ctx) }
	}
	exchange := func(ctx context.Context, c *dingtalk.Client) (any, error) {
		return app(c, dingtalk.TokenV1).ExchangeCode(ctx, userCode)
	}
	me := func(ctx context.Context, c *dingtalk.Client) (any, error) { return c.CurrentUser(ctx, "usr-tok-2a9f") }
	byCode := func(ctx context.Context, c *dingtalk.Client) (any, error) {
		return app(c, dingtalk.TokenV1).UserInfoByCode(ctx, userCode)
	}
	userGet := func(ctx context.Context, c *dingtalk.Client) (any, error) {
		return app(c, dingtalk.TokenV1).User(ctx, "zhangsan", "zh_CN")
	}
	byUnion := func(ctx context.Context, c *dingtalk.Client) (any, error) {
		return app(c, dingtalk.TokenV1).UserIDByUnionID(ctx, "z21HjQliSzpw0YWCNxmii6u2Os62cZ62iSZ")
	}
	ssoInfo := func(m dingtalk.TokenMethod) func(context.Context, *dingtalk.Client) (any, error) {
		return func(ctx context.Context, c *dingtalk.Client) (any, error) { return sso(c, m).UserInfo(ctx, userCode) }
	}
	dept := func(ctx context.Context, c *dingtalk.Client) (any, error) {
		return suite(c, dingtalk.TokenV1).Corp(corpID).Department(ctx, 5047320034, "")
	}
	corpToken := func(m dingtalk.TokenMethod) func(context.Context, *dingtalk.Client) (any, error) {
		return func(ctx context.Context, c *dingtalk.Client) (any, error) {
			return suite(c, m).Corp(corpID).AccessToken(ctx)
		}
	}

	return []goldenCase{
		// App tokens E4, E5, E6.
		{name: "e4_gettoken_ok", reply: "e4_gettoken_ok.json", call: appToken(dingtalk.TokenLegacy),
			want: wantRequest{method: get, path: "/gettoken", query: q("appkey", appKey, "appsecret", appSecret)}},
		{name: "e4_gettoken_40096", reply: "e4_gettoken_40096.json", call: appToken(dingtalk.TokenLegacy),
			want: wantRequest{method: get, path: "/gettoken", query: q("appkey", appKey, "appsecret", appSecret)},
			kind: dingtalk.KindBadCredentials, code: "40096"},
		{name: "e5_accesstoken_ok", reply: "e5_accesstoken_ok.json", call: appToken(dingtalk.TokenV1),
			want: wantRequest{method: post, path: "/v1.0/oauth2/accessToken", body: `{"appKey":"` + appKey + `","appSecret":"` + appSecret + `"}`}},
		{name: "e5_invalid_client", reply: "e5_invalid_client.json", status: 400, call: appToken(dingtalk.TokenV1),
			want: wantRequest{method: post, path: "/v1.0/oauth2/accessToken", body: `{"appKey":"` + appKey + `","appSecret":"` + appSecret + `"}`},
			kind: dingtalk.KindBadCredentials, code: "invalidClientIdOrSecret", hasReqID: true},
		{name: "e6_token_ok", reply: "e6_token_ok.json", call: appToken(dingtalk.TokenUnified),
			want: wantRequest{method: post, path: "/v1.0/oauth2/" + corpID + "/token", body: `{"client_id":"` + appKey + `","client_secret":"` + appSecret + `","grant_type":"client_credentials"}`}},
		{name: "e6_unknown_error", reply: "e6_unknown_error.json", status: 500, call: appToken(dingtalk.TokenUnified),
			want: wantRequest{method: post, path: "/v1.0/oauth2/" + corpID + "/token", body: `{"client_id":"` + appKey + `","client_secret":"` + appSecret + `","grant_type":"client_credentials"}`},
			kind: dingtalk.KindTransient, code: "unknownError", hasReqID: true},

		// New OAuth2: E2, E3.
		{name: "e2_user_token_ok", reply: "e2_user_token_ok.json", call: exchange, want: e2},
		{name: "e2_invalid_code", reply: "e2_invalid_code.json", status: 400, call: exchange, want: e2,
			kind: dingtalk.KindCodeInvalid, code: "invalidCode", hasReqID: true},
		{name: "e2_refresh_ok", reply: "e2_user_token_ok.json",
			call: func(ctx context.Context, c *dingtalk.Client) (any, error) {
				return app(c, dingtalk.TokenV1).RefreshUserToken(ctx, "usr-ref-6c1e")
			},
			want: wantRequest{method: post, path: "/v1.0/oauth2/userAccessToken",
				body: `{"clientId":"` + appKey + `","clientSecret":"` + appSecret + `","refreshToken":"usr-ref-6c1e","grantType":"refresh_token"}`}},
		{name: "e2_suite_exchange_ok", reply: "e2_user_token_ok.json",
			call: func(ctx context.Context, c *dingtalk.Client) (any, error) {
				return suite(c, dingtalk.TokenV1).ExchangeCode(ctx, userCode)
			},
			want: wantRequest{method: post, path: "/v1.0/oauth2/userAccessToken",
				body: `{"clientId":"` + suiteKey + `","clientSecret":"` + suiteSecret + `","code":"` + userCode + `","grantType":"authorization_code"}`}},
		{name: "e3_users_me_ok", reply: "e3_users_me_ok.json", call: me, want: e3},
		{name: "e3_forbidden_capitalized", reply: "e3_forbidden_capitalized.json", status: 403, call: me, want: e3,
			kind: dingtalk.KindNoPermission, code: "Forbidden.AccessDenied.AccessTokenPermissionDenied", hasReqID: true},
		{name: "e3_missing_parameter", reply: "e3_missing_parameter.json", status: 400, call: me, want: e3,
			kind: dingtalk.KindOther, code: "AuthenticationFailed.MissingParameter", hasReqID: true},
		{name: "e3_user_not_found", reply: "e3_user_not_found.json", status: 404, call: me, want: e3,
			kind: dingtalk.KindNotMember, code: "invalidParameter.user.notFound", hasReqID: true},

		// In-app code and contacts: E7, E8, E9.
		{name: "e7_getuserinfo_ok", reply: "e7_getuserinfo_ok.json", store: true, call: byCode, want: e7},
		{name: "e7_40078", reply: "e7_40078.json", store: true, call: byCode, want: e7,
			kind: dingtalk.KindCodeInvalid, code: "40078", hasReqID: true},
		{name: "e7_88_subcode_in_errmsg", reply: "e7_88_subcode_in_errmsg.json", store: true, call: byCode, want: e7,
			kind: dingtalk.KindTokenInvalid, code: "88", subCode: "40014", hasReqID: true, retried: true},
		{name: "e7_minus1_on_500", reply: "e7_500.json", status: 500, store: true, call: byCode, want: e7,
			kind: dingtalk.KindTransient, code: "-1"},
		{name: "e8_user_get_ok", reply: "e8_user_get_ok.json", store: true, call: userGet, want: e8},
		{name: "e8_user_get_numbers_as_strings", reply: "e8_user_get_numbers_as_strings.json", store: true, call: userGet, want: e8},
		{name: "e8_88_subcode_60011", reply: "e8_88_subcode_60011.json", store: true, call: userGet, want: e8,
			kind: dingtalk.KindNoPermission, code: "88", subCode: "60011", hasReqID: true},
		{name: "e8_88_camel_subcode_90002", reply: "e8_88_camel_subcode_90002.json", store: true, call: userGet, want: e8,
			kind: dingtalk.KindThrottled, code: "88", subCode: "90002", hasReqID: true},
		{name: "e8_60121", reply: "e8_60121.json", store: true, call: userGet, want: e8,
			kind: dingtalk.KindNotMember, code: "60121", hasReqID: true},
		{name: "e9_getbyunionid_ok", reply: "e9_getbyunionid_ok.json", store: true, call: byUnion, want: e9},
		{name: "e9_60121", reply: "e9_60121.json", store: true, call: byUnion, want: e9,
			kind: dingtalk.KindNotMember, code: "60121", hasReqID: true},

		// Legacy signed SNS login: E12 with the §7.2 worked example.
		{name: "e12_sns_ok", reply: "e12_sns_ok.json", call: e12Call, want: e12},
		{name: "e12_853004", reply: "e12_853004.json", call: e12Call, want: e12, kind: dingtalk.KindBadCredentials, code: "853004"},
		{name: "e12_853002", reply: "e12_853002.json", call: e12Call, want: e12, kind: dingtalk.KindTimestamp, code: "853002"},

		// Admin-console SSO: E13–E16.
		{name: "e13_sso_token_ok", reply: "e13_sso_token_ok.json",
			call: func(ctx context.Context, c *dingtalk.Client) (any, error) {
				return sso(c, dingtalk.TokenLegacy).AccessToken(ctx)
			},
			want: wantRequest{method: get, path: "/sso/gettoken", query: q("corpid", corpID, "corpsecret", ssoSecret)}},
		{name: "e14_sso_token_ok", reply: "e14_sso_token_ok.json",
			call: func(ctx context.Context, c *dingtalk.Client) (any, error) {
				return sso(c, dingtalk.TokenV1).AccessToken(ctx)
			},
			want: wantRequest{method: post, path: "/v1.0/oauth2/ssoAccessToken", body: `{"corpid":"` + corpID + `","ssoSecret":"` + ssoSecret + `"}`}},
		{name: "e15_sso_userinfo_ok", reply: "e15_sso_userinfo_ok.json", store: true, call: ssoInfo(dingtalk.TokenLegacy), want: e15},
		{name: "e15_41007", reply: "e15_41007.json", store: true, call: ssoInfo(dingtalk.TokenLegacy), want: e15,
			kind: dingtalk.KindCodeInvalid, code: "41007"},
		{name: "e16_sso_userinfo_ok", reply: "e16_sso_userinfo_ok.json", store: true, call: ssoInfo(dingtalk.TokenV1), want: e16},
		{name: "e16_invalid_token", reply: "e16_invalid_token.json", status: 400, store: true, call: ssoInfo(dingtalk.TokenV1), want: e16,
			kind: dingtalk.KindTokenInvalid, code: "invalidToken", hasReqID: true, retried: true},

		// ISV: E17–E21.
		{name: "e17_suite_token_ok", reply: "e17_suite_token_ok.json",
			call: func(ctx context.Context, c *dingtalk.Client) (any, error) {
				return suite(c, dingtalk.TokenLegacy).AccessToken(ctx)
			},
			want: wantRequest{method: post, path: "/service/get_suite_token",
				body: `{"suite_key":"` + suiteKey + `","suite_secret":"` + suiteSecret + `","suite_ticket":"` + suiteTicket + `"}`}},
		{name: "e18_suite_token_ok", reply: "e18_suite_token_ok.json",
			call: func(ctx context.Context, c *dingtalk.Client) (any, error) {
				return suite(c, dingtalk.TokenV1).AccessToken(ctx)
			},
			want: wantRequest{method: post, path: "/v1.0/oauth2/suiteAccessToken",
				body: `{"suiteKey":"` + suiteKey + `","suiteSecret":"` + suiteSecret + `","suiteTicket":"` + suiteTicket + `"}`}},
		{name: "e18_invalid_suite_ticket", reply: "e18_invalid_suite_ticket.json", status: 400,
			call: func(ctx context.Context, c *dingtalk.Client) (any, error) {
				return suite(c, dingtalk.TokenV1).AccessToken(ctx)
			},
			want: wantRequest{method: post, path: "/v1.0/oauth2/suiteAccessToken",
				body: `{"suiteKey":"` + suiteKey + `","suiteSecret":"` + suiteSecret + `","suiteTicket":"` + suiteTicket + `"}`},
			kind: dingtalk.KindBadCredentials, code: "invalidSuiteTicket", hasReqID: true},
		// E19 with the §7.3 example: suiteSecret testSuiteSecret, ticket TestSuiteTicket.
		{name: "e19_corp_token_ok", reply: "e19_corp_token_ok.json", now: 1527130370219,
			call: func(ctx context.Context, c *dingtalk.Client) (any, error) {
				s := c.Suite(dingtalk.Suite{SuiteKey: suiteKey, SuiteSecret: "testSuiteSecret", TokenMethod: dingtalk.TokenLegacy},
					func(context.Context) (string, error) { return "TestSuiteTicket", nil })
				return s.Corp(corpID).AccessToken(ctx)
			},
			want: wantRequest{method: post, path: "/service/get_corp_token",
				query: q("accessKey", suiteKey, "timestamp", "1527130370219", "suiteTicket", "TestSuiteTicket", "signature", "5PMX0+4w0TR03H51PTcORqTVqeQPOxuuuy1hk2aFKKg="),
				raw:   "accessKey=" + suiteKey + "&signature=5PMX0%2B4w0TR03H51PTcORqTVqeQPOxuuuy1hk2aFKKg%3D&suiteTicket=TestSuiteTicket&timestamp=1527130370219",
				body:  `{"auth_corpid":"` + corpID + `"}`}},
		{name: "e20_corp_token_ok", reply: "e20_corp_token_ok.json", call: corpToken(dingtalk.TokenV1),
			want: wantRequest{method: post, path: "/v1.0/oauth2/corpAccessToken",
				body: `{"suiteKey":"` + suiteKey + `","suiteSecret":"` + suiteSecret + `","authCorpId":"` + corpID + `","suiteTicket":"` + suiteTicket + `"}`}},
		{name: "e20_invalid_auth_info", reply: "e20_invalid_auth_info.json", status: 400, call: corpToken(dingtalk.TokenV1),
			want: wantRequest{method: post, path: "/v1.0/oauth2/corpAccessToken",
				body: `{"suiteKey":"` + suiteKey + `","suiteSecret":"` + suiteSecret + `","authCorpId":"` + corpID + `","suiteTicket":"` + suiteTicket + `"}`},
			kind: dingtalk.KindBadCredentials, code: "invalidAuthInfo", hasReqID: true},
		{name: "e6_suite_corp_token_ok", reply: "e6_token_ok.json", call: corpToken(dingtalk.TokenUnified),
			want: wantRequest{method: post, path: "/v1.0/oauth2/" + corpID + "/token",
				body: `{"client_id":"` + suiteKey + `","client_secret":"` + suiteSecret + `","grant_type":"client_credentials"}`}},
		{name: "e21_auth_info_ok", reply: "e21_auth_info_ok.json", store: true,
			call: func(ctx context.Context, c *dingtalk.Client) (any, error) {
				return suite(c, dingtalk.TokenV1).AuthInfo(ctx, corpID)
			},
			want: wantRequest{method: get, path: "/v1.0/oauth2/apps/authInfo", query: q("authCorpId", corpID), header: "tok-suite"}},

		// Departments: E22–E24 on an ISV corp token.
		{name: "e22_department_ok", reply: "e22_department_ok.json", store: true, call: dept, want: e22},
		{name: "e22_60003", reply: "e22_60003.json", store: true, call: dept, want: e22, kind: dingtalk.KindOther, code: "60003", hasReqID: true},
		{name: "e23_listparentbyuser_ok", reply: "e23_listparentbyuser_ok.json", store: true,
			call: func(ctx context.Context, c *dingtalk.Client) (any, error) {
				return suite(c, dingtalk.TokenV1).Corp(corpID).ParentDepartmentsByUser(ctx, "zhangsan")
			},
			want: wantRequest{method: post, path: "/topapi/v2/department/listparentbyuser", query: q("access_token", "tok-corp"), body: `{"userid":"zhangsan"}`}},
		{name: "e24_listparentbydept_ok", reply: "e24_listparentbydept_ok.json", store: true,
			call: func(ctx context.Context, c *dingtalk.Client) (any, error) {
				return app(c, dingtalk.TokenLegacy).ParentDepartmentsByDept(ctx, 5047320034)
			},
			want: wantRequest{method: post, path: "/topapi/v2/department/listparentbydept", query: q("access_token", "tok-app-legacy"), body: `{"dept_id":5047320034}`}},

		// Error envelopes of §2.1 and §4 not covered above, one per class.
		{name: "e4_gettoken_90018", reply: "e4_gettoken_90018.json", call: appToken(dingtalk.TokenLegacy),
			want: wantRequest{method: get, path: "/gettoken", query: q("appkey", appKey, "appsecret", appSecret)},
			kind: dingtalk.KindThrottled, code: "90018"},
		{name: "e7_42001", reply: "e7_42001.json", store: true, call: byCode, want: e7,
			kind: dingtalk.KindTokenInvalid, code: "42001", hasReqID: true, retried: true},
		{name: "e7_40079", reply: "e7_40079.json", store: true, call: byCode, want: e7,
			kind: dingtalk.KindNotMember, code: "40079", hasReqID: true},
		{name: "e8_50002", reply: "e8_50002.json", store: true, call: userGet, want: e8,
			kind: dingtalk.KindNotMember, code: "50002", hasReqID: true},
		{name: "e8_88_subcode_60020", reply: "e8_88_subcode_60020.json", store: true, call: userGet, want: e8,
			kind: dingtalk.KindNoPermission, code: "88", subCode: "60020", hasReqID: true},
		{name: "e8_88_subcode_40000", reply: "e8_88_subcode_40000.json", store: true, call: userGet, want: e8,
			kind: dingtalk.KindOther, code: "88", subCode: "40000", hasReqID: true},
		{name: "topapi_22_invalid_method", reply: "topapi_22_invalid_method.json", store: true, call: userGet, want: e8,
			kind: dingtalk.KindOther, code: "22", hasReqID: true},
		{name: "e12_40078", reply: "e12_40078.json", call: e12Call, want: e12, kind: dingtalk.KindCodeInvalid, code: "40078"},
		{name: "e16_invalid_code", reply: "e16_invalid_code.json", status: 400, store: true, call: ssoInfo(dingtalk.TokenV1), want: e16,
			kind: dingtalk.KindCodeInvalid, code: "invalidCode", hasReqID: true},
		{name: "e3_invalid_authentication", reply: "e3_invalid_authentication.json", status: 400, call: me, want: e3,
			kind: dingtalk.KindTokenInvalid, code: "InvalidAuthentication", hasReqID: true},
		{name: "e3_accesstoken_expired", reply: "e3_accesstoken_expired.json", status: 400, call: me, want: e3,
			kind: dingtalk.KindTokenInvalid, code: "accesstoken.expired", hasReqID: true},
		{name: "e2_409_invalid_code", reply: "e2_409_invalid_code.json", status: 409, call: exchange, want: e2,
			kind: dingtalk.KindCodeInvalid, code: "invalidCode", hasReqID: true},
		{name: "e6_unauthorized_client", reply: "e6_unauthorized_client.json", status: 401, call: appToken(dingtalk.TokenUnified),
			want: wantRequest{method: post, path: "/v1.0/oauth2/" + corpID + "/token", body: `{"client_id":"` + appKey + `","client_secret":"` + appSecret + `","grant_type":"client_credentials"}`},
			kind: dingtalk.KindBadCredentials, code: "unauthorized.client", hasReqID: true},
		{name: "api_429_system_busy", reply: "api_429_system_busy.json", status: 429, call: me, want: e3,
			kind: dingtalk.KindThrottled, code: "system.busy", hasReqID: true},
		{name: "e17_40085", reply: "e17_40085.json",
			call: func(ctx context.Context, c *dingtalk.Client) (any, error) {
				return suite(c, dingtalk.TokenLegacy).AccessToken(ctx)
			},
			want: wantRequest{method: post, path: "/service/get_suite_token",
				body: `{"suite_key":"` + suiteKey + `","suite_secret":"` + suiteSecret + `","suite_ticket":"` + suiteTicket + `"}`},
			kind: dingtalk.KindBadCredentials, code: "40085"},
		{name: "e19_41030", reply: "e19_41030.json", now: 1527130370219,
			call: func(ctx context.Context, c *dingtalk.Client) (any, error) {
				s := c.Suite(dingtalk.Suite{SuiteKey: suiteKey, SuiteSecret: "testSuiteSecret", TokenMethod: dingtalk.TokenLegacy},
					func(context.Context) (string, error) { return "TestSuiteTicket", nil })
				return s.Corp(corpID).AccessToken(ctx)
			},
			want: wantRequest{method: post, path: "/service/get_corp_token",
				query: q("accessKey", suiteKey, "timestamp", "1527130370219", "suiteTicket", "TestSuiteTicket", "signature", "5PMX0+4w0TR03H51PTcORqTVqeQPOxuuuy1hk2aFKKg="),
				raw:   "accessKey=" + suiteKey + "&signature=5PMX0%2B4w0TR03H51PTcORqTVqeQPOxuuuy1hk2aFKKg%3D&suiteTicket=TestSuiteTicket&timestamp=1527130370219",
				body:  `{"auth_corpid":"` + corpID + `"}`},
			kind: dingtalk.KindBadCredentials, code: "41030"},

		// Transport-level replies.
		{name: "ip_ban_html", reply: "ip_ban.html", store: true, call: userGet, want: e8, kind: dingtalk.KindThrottled},
		{name: "ip_ban_json", reply: "ip_ban.json", store: true, call: userGet, want: e8, kind: dingtalk.KindThrottled},
		{name: "gateway_502_html", reply: "gateway_502.html", status: 502, call: me, want: e3, kind: dingtalk.KindTransient},
		{name: "api_404_invalid_action", reply: "api_404_invalid_action.json", status: 404, call: me, want: e3,
			kind: dingtalk.KindOther, code: "InvalidAction.NotFound", hasReqID: true},
		{name: "api_200_errcode_404", reply: "api_missing_v1_prefix.json", call: me, want: e3, kind: dingtalk.KindOther, code: "404"},
		{name: "api_403_qps_limit", reply: "api_qps_limit.json", status: 403, call: me, want: e3,
			kind: dingtalk.KindThrottled, code: "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", hasReqID: true},
	}
}
