// Package login is dingbridge's DingTalk login step: it implements
// provider.Authenticator (the login page /authorize serves), the callbacks and
// form posts under /login/, and the DingTalk entry points under
// /dingtalk/. It renders the pages of package templates and asks package
// resolve who a DingTalk code belongs to.
//
// # Routes (under the issuer path)
//
//	GET  /authorize, /login?authRequestID=… ServeLogin (called by the provider): path choice
//	GET  /login/dingtalk/callback       new OAuth2 callback: authCode (or code) + state, or error + state
//	GET  /login/dingtalk/sns/callback   legacy qrconnect / in-client sns_authorize: code + state
//	POST /login/dingtalk/workspace      JSAPI code posted by the workspace page: state, code
//	GET  /login/dingtalk/jsapi-error    the workspace page's JSAPI failed: state, jsapi_error
//	GET  /login/dingtalk/corp           corp chosen on the chooser: state, corpId
//	GET  /login/cancel                  "back to the application": authRequestID, reason → Provider.FailLogin
//	GET  /login/assets/{qr,workspace}.js the pages' static scripts
//	GET  /dingtalk/admin/{client_id}    admin-console SSO backend URL: code [, corpId | app]
//	GET  /dingtalk/start/{client_id}    workspace entry (micro-app home URL …?corpId=$CORPID$)
//	GET  /dingtalk/login-config?corpId= public login configuration (JSON, CORS *), never a secret
//	POST /dingtalk/suite-ticket         suite ticket push: Authorization: Bearer <token>, JSON {suiteKey, suiteTicket} → 204
//
// # Path choice
//
// Inside the DingTalk client (dingtalk.IsDingTalkUserAgent; the
// link-preview crawler is not a user) the workspace page loads DingTalk's
// JSAPI script and our workspace.js, which calls dd.requestAuthCode({corpId,
// clientId}) — falling back to dd.runtime.permission.requestAuthCode inside
// dd.ready — and posts the code back without a click. Corps configured
// with InClient "sns" are redirected to sns_authorize with scope
// snsapi_auth instead. Outside DingTalk the QR page shows DTFrameLogin's
// embedded QR code (its success callback navigates to the callback URL), a
// link to DingTalk's own login page (QR code or account and password) and,
// when a legacy login app covers the corp, the classic qrconnect page.
//
// # Corp selection
//
// A corp is named, in order, by the corp_id authorization parameter, a
// login_hint "corp:<corpId>" (or "<anything>@<corpId>" when corpId is a
// served corp, so e-mail addresses are ignored), the corpId (or corpid)
// query parameter of /login or /dingtalk/start (the $CORPID$ placeholder;
// left unreplaced it counts as none), the client policy's single allowed
// corp, or the single served corp the policy allows. A named corp that is
// not served, or not allowed by the policy, is refused at once. With none
// named and several possible, the QR page uses a suite serving all of them
// with scope "openid corpid" (DingTalk asks the person); otherwise — and
// always for the workspace page — the chooser lists the allowed corps.
//
// # State
//
// Every redirect to DingTalk and every page that posts back carries a
// random state (192 bits). A securecookie (JSON, provider.CookieCodec) named dbstate_<12 hex digits of
// its SHA-256> (so parallel tabs keep their own) binds it to the
// authorization request (or the entry's client), the flow, the corp and
// the DingTalk app; HttpOnly, SameSite=Lax, Secure unless Insecure, path
// = the issuer path, ten minutes. The callback compares it in constant
// time, clears the cookie (single use) and refuses a missing, foreign,
// expired or other-flow state with a 400 page.
//
// # Completion
//
// The code goes to the resolver (QR, SNS, Workspace, Admin); the client's
// policy is checked (resolve.Check); then Provider.FinishLogin completes
// the authorization request with the Result's identity, AMR and corp and
// sends its code to the client in the callback's own response, or,
// for the entry points, Provider.InitiateLogin opens a session and sends
// the browser to the client's initiate_login_uri with iss. The workspace
// entry hands off at once when a live session's corp suits the client,
// and sends a normal browser straight to initiate_login_uri, where the
// client starts an ordinary login.
//
// # Errors
//
// failures.go maps every DingTalk error (by code, then dingtalk.Kind) and
// every policy refusal to a page — title, what happened and what to do, in
// zh-CN and en (ui_locales, then Accept-Language), with the request ID, a
// retry link and a "back to the application" link — and to the OIDC error
// the client gets through /login/cancel: access_denied (refused, bad code,
// cancelled), temporarily_unavailable (throttled, DingTalk failing) or
// server_error (app credentials, permissions, clock, configuration). For
// 60011 the page names the missing permission from DingTalk's sub_msg. A
// prompt=none login never shows a page: its failures go to the client as
// login_required (policy refusals as access_denied). The detail is logged
// once, never a code, ticket or token.
//
// # Pages
//
// The pages carry no inline script: DingTalk's scripts (URLs
// configurable) and our static scripts are allowed by a per-page
// Content-Security-Policy (script-src 'self' and the script's origin;
// frame-src DingTalk's login host on the QR page; form-action the
// client's redirect and initiate_login_uri origins on the workspace page,
// whose form post redirects there; frame-ancestors 'self' and
// *.dingtalk.com on the workspace page, none elsewhere).
package login
