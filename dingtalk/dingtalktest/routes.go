package dingtalktest

import (
	"net/http"
	"strings"
)

func (s *Simulator) routes() {
	m := s.mux
	api := func(pattern string, ep Endpoint, h http.HandlerFunc) {
		m.HandleFunc(pattern, s.endpoint(ep, famAPI, h))
	}
	oapi := func(pattern string, ep Endpoint, h http.HandlerFunc) {
		m.HandleFunc(pattern, s.endpoint(ep, famOAPI, h))
	}
	top := func(pattern string, ep Endpoint, h http.HandlerFunc) {
		m.HandleFunc(pattern, s.endpoint(ep, famTopAPI, h))
	}
	page := func(pattern string, ep Endpoint, h http.HandlerFunc) {
		m.HandleFunc(pattern, s.endpoint(ep, famPage, h))
	}

	// login.dingtalk.com and the legacy oapi browser pages.
	page("GET /oauth2/auth", EndpointAuthorize, s.handleAuthorize)
	m.HandleFunc("POST /oauth2/auth", s.handleAuthorizeSubmit)
	page("GET /connect/qrconnect", EndpointQRConnect, s.handleLegacyAuthorize)
	m.HandleFunc("POST /connect/qrconnect", s.handleLegacySubmit)
	page("GET /connect/oauth2/sns_authorize", EndpointSNSAuthorize, s.handleLegacyAuthorize)
	m.HandleFunc("POST /connect/oauth2/sns_authorize", s.handleLegacySubmit)

	page("GET /login/qrcode.htm", EndpointQRCodeFrame, s.handleQRCode)
	m.HandleFunc("POST /login/qrcode.htm", s.handleQRCodeSubmit)

	// Scripts at the official CDN paths and short aliases.
	m.HandleFunc("GET /dingding/h5-dingtalk-login/0.21.0/ddlogin.js", serveAsset("assets/ddlogin.js", "text/javascript"))
	m.HandleFunc("GET /ddlogin.js", serveAsset("assets/ddlogin.js", "text/javascript"))
	m.HandleFunc("GET /dingding/dinglogin/0.0.5/ddLogin.js", serveAsset("assets/ddlogin_legacy.js", "text/javascript"))
	m.HandleFunc("GET /ddLogin.js", serveAsset("assets/ddlogin_legacy.js", "text/javascript"))
	m.HandleFunc("GET /dingding/dingtalk-jsapi/3.1.0/dingtalk.open.js", s.handleJSAPIScript)
	m.HandleFunc("GET /dingtalk.open.js", s.handleJSAPIScript)

	// Simulator admin area.
	m.HandleFunc("GET /__sim/{$}", s.handleSimPage)
	m.HandleFunc("POST /__sim/client-user", s.handleSetClientUser)
	m.HandleFunc("GET /__sim/directory", s.handleSimDirectory)
	m.HandleFunc("OPTIONS /__sim/jsapi/authcode", corsPreflight)
	page("POST /__sim/jsapi/authcode", EndpointJSAPIAuthCode, s.handleJSAPIAuthCode)

	// api.dingtalk.com
	api("POST /v1.0/oauth2/userAccessToken", EndpointUserAccessToken, s.handleUserAccessToken)
	api("GET /v1.0/contact/users/{unionId}", EndpointContactUser, s.handleContactUser)
	api("POST /v1.0/oauth2/accessToken", EndpointAccessToken, s.handleAccessToken)
	api("POST /v1.0/oauth2/{corpId}/token", EndpointCorpToken, s.handleCorpToken)
	api("POST /v1.0/oauth2/ssoAccessToken", EndpointSSOAccessToken, s.handleSSOAccessToken)
	api("GET /v1.0/oauth2/ssoUserInfo", EndpointSSOUserInfo, s.handleSSOUserInfo)
	api("POST /v1.0/oauth2/suiteAccessToken", EndpointSuiteAccessToken, s.handleSuiteAccessToken)
	api("POST /v1.0/oauth2/corpAccessToken", EndpointCorpAccessToken, s.handleCorpAccessToken)
	api("GET /v1.0/oauth2/apps/authInfo", EndpointAuthInfo, s.handleAuthInfo)

	// oapi.dingtalk.com
	oapi("GET /gettoken", EndpointGetToken, s.handleGetToken)
	oapi("POST /sns/getuserinfo_bycode", EndpointSNSUserInfo, s.handleSNSUserInfo)
	oapi("GET /sso/gettoken", EndpointSSOGetToken, s.handleSSOGetToken)
	oapi("GET /sso/getuserinfo", EndpointSSOGetUserInfo, s.handleSSOGetUserInfo)
	oapi("POST /service/get_suite_token", EndpointGetSuiteToken, s.handleGetSuiteToken)
	oapi("POST /service/get_corp_token", EndpointGetCorpToken, s.handleGetCorpToken)
	top("POST /topapi/v2/user/getuserinfo", EndpointGetUserInfo, s.handleGetUserInfo)
	top("POST /topapi/v2/user/get", EndpointUserGet, s.handleUserGet)
	top("POST /topapi/user/getbyunionid", EndpointGetByUnionID, s.handleGetByUnionID)
	top("POST /topapi/v2/department/get", EndpointDepartmentGet, s.handleDepartmentGet)
	top("POST /topapi/v2/department/listparentbyuser", EndpointListParentByUser, s.handleListParentByUser)
	top("POST /topapi/v2/department/listparentbydept", EndpointListParentByDept, s.handleListParentByDept)
	top("POST /topapi/v2/department/listsub", EndpointListSub, s.handleListSub)
	top("POST /topapi/v2/department/listsubid", EndpointListSubID, s.handleListSubID)

	m.HandleFunc("/", s.handleNotFound)
}

// handleNotFound answers unknown paths and wrong methods the way each host does.
func (s *Simulator) handleNotFound(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/topapi/"):
		oapiError(w, 22, "Invalid method")
	case strings.HasPrefix(p, "/v1.0/"):
		apiError(w, http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
	case p == "/gettoken" || p == "/sso/gettoken" || p == "/sso/getuserinfo":
		oapiError(w, 43001, "需要GET请求")
	case p == "/sns/getuserinfo_bycode" || strings.HasPrefix(p, "/service/"):
		oapiError(w, 43002, "需要POST请求")
	default:
		writeJSON(w, http.StatusOK, map[string]any{"errcode": 404, "errmsg": "请求的URI地址不存在"})
	}
}
