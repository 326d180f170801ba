// Package dingtalktest is a faithful in-process DingTalk simulator for tests
// and local development, shaped like net/http/httptest.
//
// One handler serves the three DingTalk hosts (oapi.dingtalk.com,
// api.dingtalk.com and login.dingtalk.com) on one URL, with the wire format
// of the reference field by field: oapi answers HTTP 200 with errcode/errmsg
// (topapi wraps data in result plus request_id, gateway failures are errcode
// 88 with sub_code/sub_msg); api.dingtalk.com answers bare objects and HTTP
// 4xx/5xx {"code","message","requestid"} on failure.
//
// Routes:
//
//	GET  /oauth2/auth                          E1 login page (pick a member, or account+password)
//	POST /v1.0/oauth2/userAccessToken          E2
//	GET  /v1.0/contact/users/{unionId}         E3 (me)
//	GET  /gettoken                             E4
//	POST /v1.0/oauth2/accessToken              E5
//	POST /v1.0/oauth2/{corpId}/token           E6
//	POST /topapi/v2/user/getuserinfo           E7
//	POST /topapi/v2/user/get                   E8
//	POST /topapi/user/getbyunionid             E9
//	GET  /connect/qrconnect                    E10 legacy login page
//	GET  /connect/oauth2/sns_authorize         E11 (snsapi_login page; snsapi_auth inside DingTalk; loginTmpCode)
//	GET  /login/qrcode.htm?goto=               legacy DDLogin iframe: posts a loginTmpCode to its page
//	POST /sns/getuserinfo_bycode               E12 (signed)
//	GET  /sso/gettoken, GET /sso/getuserinfo   E13, E15
//	POST /v1.0/oauth2/ssoAccessToken           E14
//	GET  /v1.0/oauth2/ssoUserInfo              E16
//	POST /service/get_suite_token              E17
//	POST /v1.0/oauth2/suiteAccessToken         E18
//	POST /service/get_corp_token               E19 (signed)
//	POST /v1.0/oauth2/corpAccessToken          E20
//	GET  /v1.0/oauth2/apps/authInfo            E21
//	POST /topapi/v2/department/{get,listparentbyuser,listparentbydept,listsub,listsubid}  E22-E25
//	GET  /dingding/h5-dingtalk-login/0.21.0/ddlogin.js (alias /ddlogin.js)           DTFrameLogin
//	GET  /dingding/dinglogin/0.0.5/ddLogin.js (alias /ddLogin.js)                    legacy DDLogin
//	GET  /dingding/dingtalk-jsapi/3.1.0/dingtalk.open.js (alias /dingtalk.open.js)   dd JSAPI shim
//	POST /__sim/jsapi/authcode                 mints JSAPI codes for the shim (CORS)
//	GET  /__sim/                               console: pick the current DingTalk client user
//	GET  /__sim/directory                      the directory as JSON, secrets omitted
//
// In tests, NewServer starts the simulator on loopback with DemoDirectory
// (or WithDirectory); point every DingTalk base URL at Server.URL. Tests
// steer it with AddUser, RemoveUser, AddApp, IssueCode, SetSuiteTicket,
// SetClientUser, SetNow or WithClock, ExpireTokens, Fail and Calls. Setup
// mistakes panic.
// For a standalone simulator, mount NewSimulator(dir) on any listener.
package dingtalktest
