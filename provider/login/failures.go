package login

import (
	"errors"
	"net/http"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/dingbridge/dingbridge/dingtalk"
	"github.com/dingbridge/dingbridge/provider/resolve"
	"github.com/dingbridge/dingbridge/templates"
)

// reason names one row of the failure table; it travels in the cancel
// link (/login/cancel?reason=) so the client gets the matching OIDC error.
type reason string

// The failure reasons.
const (
	reasonCancelled       reason = "cancelled"
	reasonState           reason = "state"
	reasonCodeInvalid     reason = "code_invalid"
	reasonSSOCodeInvalid  reason = "sso_code_invalid"
	reasonNotVisible      reason = "not_visible"
	reasonNoPermission    reason = "no_permission"
	reasonIPWhitelist     reason = "ip_whitelist"
	reasonBadCredentials  reason = "bad_credentials"
	reasonClock           reason = "clock"
	reasonThrottled       reason = "throttled"
	reasonUnavailable     reason = "unavailable"
	reasonJSAPI           reason = "jsapi"
	reasonNoSSO           reason = "no_sso"
	reasonNoTicket        reason = "no_suite_ticket"
	reasonUnknownCorp     reason = "unknown_corp"
	reasonCorpNotAllowed  reason = "corp_not_allowed"
	reasonNotMember       reason = "not_member"
	reasonNotInDepartment reason = "not_in_department"
	reasonInactive        reason = "inactive"
	reasonBadRequest      reason = "bad_request"
	reasonUnknownClient   reason = "unknown_client"
	reasonNoEntry         reason = "no_entry"
	reasonInternal        reason = "internal"
)

// text is one string in both page languages.
type text struct{ zh, en string }

func (t text) in(lang templates.Lang) string {
	if lang == templates.EN {
		return t.en
	}
	return t.zh
}

// failure is one row: the page a person sees and the OIDC error the
// client gets. A nil oidcError means there is nothing to cancel (e.g. a
// foreign state: the request it belonged to is unknown).
type failure struct {
	status    int
	title     text
	what      text
	todo      text
	oidcError func() *oidc.Error
}

// errTemporarilyUnavailable is RFC 6749's temporarily_unavailable, which
// oidc has no constructor for.
func errTemporarilyUnavailable() *oidc.Error {
	return &oidc.Error{ErrorType: "temporarily_unavailable"}
}

// failures maps every reason to what the person reads and what the client
// gets: access_denied when the person is refused, the code is bad or the
// login was cancelled; temporarily_unavailable when DingTalk throttles or
// fails; server_error for the bridge's or the app's configuration.
var failures = map[reason]failure{
	reasonCancelled: {http.StatusOK,
		text{"已取消登录", "Sign-in cancelled"},
		text{"您在钉钉页面上取消了登录或拒绝了授权。", "You cancelled the sign-in or declined the authorization on DingTalk's page."},
		text{"如需登录，请重试并在钉钉中确认授权。", "To sign in, try again and confirm the authorization in DingTalk."},
		oidc.ErrAccessDenied},
	reasonState: {http.StatusBadRequest,
		text{"登录链接已失效", "This sign-in link is no longer valid"},
		text{"登录链接已过期、已被使用，或是在另一个浏览器中打开的。", "The sign-in link has expired, was already used, or was opened in a different browser."},
		text{"请回到应用重新发起登录，并在同一个浏览器中完成。", "Go back to the application and start the sign-in again, finishing it in the same browser."},
		nil},
	reasonCodeInvalid: {http.StatusBadRequest,
		text{"钉钉登录码无效", "The DingTalk sign-in code is not valid"},
		text{"钉钉的一次性登录码已过期（5 分钟）、已被使用，或属于另一个应用或登录方式（钉钉错误 40078）。", "DingTalk's one-time sign-in code has expired (5 minutes), was already used, or belongs to another app or sign-in method (DingTalk error 40078)."},
		text{"请重试：重新扫码，或在钉钉中重新打开应用。", "Try again: scan the QR code again, or reopen the app in DingTalk."},
		oidc.ErrAccessDenied},
	reasonSSOCodeInvalid: {http.StatusBadRequest,
		text{"管理后台登录码无效", "The admin console sign-in code is not valid"},
		text{"钉钉管理后台的一次性登录码已过期、已被使用或不完整（钉钉错误 41007）。", "The admin console's one-time sign-in code has expired, was already used or is incomplete (DingTalk error 41007)."},
		text{"请回到钉钉管理后台，重新点击该应用的管理入口。", "Go back to the DingTalk admin console and open the app's management entry again."},
		oidc.ErrAccessDenied},
	reasonNotVisible: {http.StatusForbidden,
		text{"您不在该应用的可用范围内", "You are not in this app's visible range"},
		text{"钉钉表示您不是该组织的成员，或不在应用的可见范围内（钉钉错误 60121 / 50002 / 40079）。", "DingTalk says you are not a member of the organization or not in the app's visible range (DingTalk error 60121 / 50002 / 40079)."},
		text{"请联系组织管理员，将您加入该应用的可见范围后再试。", "Ask your organization's administrator to add you to the app's visible range, then try again."},
		oidc.ErrAccessDenied},
	reasonNoPermission: {http.StatusBadGateway,
		text{"应用缺少钉钉接口权限", "The app lacks a DingTalk API permission"},
		text{"钉钉拒绝了调用，因为该应用没有所需的接口权限（钉钉错误 60011）。", "DingTalk refused a call because the app does not have the required API permission (DingTalk error 60011)."},
		text{"请管理员在钉钉开发者后台为该应用开通下列权限后再试。", "Ask the administrator to grant the app the permission below in the DingTalk developer console, then try again."},
		oidc.ErrServerError},
	reasonIPWhitelist: {http.StatusBadGateway,
		text{"服务器 IP 不在白名单中", "The server's IP address is not whitelisted"},
		text{"钉钉拒绝了来自本服务器 IP 地址的调用（钉钉错误 60020）。", "DingTalk refused calls from this server's IP address (DingTalk error 60020)."},
		text{"请管理员在钉钉开发者后台将服务器出口 IP 加入白名单。", "Ask the administrator to add the server's outgoing IP address to the app's whitelist in the DingTalk developer console."},
		oidc.ErrServerError},
	reasonBadCredentials: {http.StatusBadGateway,
		text{"钉钉应用凭证有误", "The DingTalk app credentials are wrong"},
		text{"钉钉不接受本服务配置的应用凭证（AppKey/AppSecret、套件凭证或票据，钉钉错误 40096 / 40089 等）。", "DingTalk does not accept the app credentials this service is configured with (AppKey/AppSecret, suite credentials or ticket; DingTalk error 40096 / 40089 or similar)."},
		text{"请联系管理员检查登录服务的钉钉配置。", "Ask your administrator to check the sign-in service's DingTalk configuration."},
		oidc.ErrServerError},
	reasonClock: {http.StatusBadGateway,
		text{"服务器时间不准确", "The server's clock is wrong"},
		text{"钉钉拒绝了签名请求，因为时间戳与钉钉服务器相差超过 1 分钟（钉钉错误 853002）。", "DingTalk refused a signed request because its timestamp is more than one minute away from DingTalk's clock (DingTalk error 853002)."},
		text{"请管理员检查服务器的时间同步（NTP），然后重试。", "Ask the administrator to check the server's time synchronization (NTP), then try again."},
		oidc.ErrServerError},
	reasonThrottled: {http.StatusServiceUnavailable,
		text{"钉钉请求过于频繁", "DingTalk is rate limiting"},
		text{"钉钉暂时限制了本服务的调用频率（钉钉错误 90018 等）。", "DingTalk is temporarily limiting this service's calls (DingTalk error 90018 or similar)."},
		text{"请稍等一分钟后重试。", "Wait a minute and try again."},
		errTemporarilyUnavailable},
	reasonUnavailable: {http.StatusServiceUnavailable,
		text{"钉钉暂时无法访问", "DingTalk is not reachable right now"},
		text{"钉钉服务繁忙或网络出现问题。", "DingTalk is busy or the network failed."},
		text{"请稍后重试。", "Please try again in a moment."},
		errTemporarilyUnavailable},
	reasonJSAPI: {http.StatusBadRequest,
		text{"钉钉没有提供登录码", "DingTalk did not provide a sign-in code"},
		text{"钉钉客户端未能为此页面生成免登码：页面可能不是从该组织的工作台打开的，或钉钉版本过旧。", "The DingTalk client could not create a sign-in code for this page: it may not have been opened from the organization's workbench, or DingTalk is out of date."},
		text{"请从钉钉工作台重新打开应用；如仍失败，请更新钉钉或联系管理员。", "Open the app again from the DingTalk workbench; if it still fails, update DingTalk or contact your administrator."},
		oidc.ErrAccessDenied},
	reasonNoSSO: {http.StatusBadRequest,
		text{"管理后台登录未配置", "Admin console sign-in is not configured"},
		text{"本服务没有与此入口匹配的钉钉管理后台免登配置。", "This service has no DingTalk admin console sign-in configuration matching this entry."},
		text{"请联系管理员检查登录服务的 SSO 配置。", "Ask your administrator to check the sign-in service's SSO configuration."},
		oidc.ErrServerError},
	reasonNoTicket: {http.StatusServiceUnavailable,
		text{"尚未收到钉钉套件票据", "No DingTalk suite ticket yet"},
		text{"第三方应用还没有收到钉钉推送的 suite_ticket。", "The third-party app has not received a suite_ticket from DingTalk yet."},
		text{"请稍后重试；如持续出现，请管理员检查票据推送配置。", "Try again later; if this persists, ask the administrator to check the ticket push configuration."},
		errTemporarilyUnavailable},
	reasonUnknownCorp: {http.StatusBadRequest,
		text{"不支持该组织", "This organization is not supported"},
		text{"该钉钉组织没有在本登录服务中配置。", "This DingTalk organization is not configured in this sign-in service."},
		text{"请确认您选择的组织，或联系管理员添加该组织。", "Check the organization you chose, or ask your administrator to add it."},
		oidc.ErrAccessDenied},
	reasonCorpNotAllowed: {http.StatusForbidden,
		text{"该组织不能登录此应用", "Your organization may not use this application"},
		text{"此应用只允许指定组织的成员登录。", "This application admits members of specific organizations only."},
		text{"请使用允许的组织账号登录，或联系管理员。", "Sign in with an account of an allowed organization, or contact your administrator."},
		oidc.ErrAccessDenied},
	reasonNotMember: {http.StatusForbidden,
		text{"您不是该组织的成员", "You are not a member of the organization"},
		text{"此应用只允许组织内部成员登录，外部联系人或非成员不能登录。", "This application admits members of the organization only; external contacts and non-members cannot sign in."},
		text{"请使用组织内的钉钉账号登录，或联系管理员将您加入组织。", "Sign in with your organization's DingTalk account, or ask the administrator to add you to the organization."},
		oidc.ErrAccessDenied},
	reasonNotInDepartment: {http.StatusForbidden,
		text{"您所在的部门不能登录此应用", "Your department may not use this application"},
		text{"此应用只允许指定部门（含其下级部门）的成员登录。", "This application admits members of specific departments (and their sub-departments) only."},
		text{"如您需要使用，请联系管理员。", "If you need access, contact your administrator."},
		oidc.ErrAccessDenied},
	reasonInactive: {http.StatusForbidden,
		text{"您的钉钉账号未激活", "Your DingTalk account is not active"},
		text{"组织通讯录显示您的账号尚未激活或已离职。", "The organization's directory shows your account as not activated or no longer employed."},
		text{"请激活钉钉账号后重试，或联系管理员。", "Activate your DingTalk account and try again, or contact your administrator."},
		oidc.ErrAccessDenied},
	reasonBadRequest: {http.StatusBadRequest,
		text{"请求无效", "Invalid request"},
		text{"请求缺少必要的参数。", "The request is missing required parameters."},
		text{"请回到应用或钉钉重新开始登录。", "Start the sign-in again from the application or from DingTalk."},
		oidc.ErrInvalidRequest},
	reasonUnknownClient: {http.StatusNotFound,
		text{"未知应用", "Unknown application"},
		text{"此入口指向的应用没有在登录服务中登记。", "The application this entry points to is not registered with the sign-in service."},
		text{"请联系管理员检查应用的首页或管理后台地址。", "Ask your administrator to check the app's home page or backend URL."},
		nil},
	reasonNoEntry: {http.StatusBadRequest,
		text{"应用不支持从钉钉直接进入", "This application cannot be opened from DingTalk"},
		text{"该应用没有登记第三方发起登录地址（initiate_login_uri），无法从钉钉直接进入。", "The application has no registered third-party login address (initiate_login_uri), so it cannot be opened from DingTalk directly."},
		text{"请直接打开应用的网址登录，或请管理员为应用登记 initiate_login_uri。", "Open the application's own address to sign in, or ask the administrator to register its initiate_login_uri."},
		nil},
	reasonInternal: {http.StatusInternalServerError,
		text{"服务器错误", "Server error"},
		text{"登录服务出现了错误。", "Something went wrong in the sign-in service."},
		text{"请稍后重试；如问题持续，请联系管理员并提供请求编号。", "Try again later; if it keeps happening, contact your administrator with the request ID."},
		oidc.ErrServerError},
}

// classify picks the failure reason of an error from the login flows:
// DingTalk replies by code first (the specific codes of the reference),
// then by kind; policy refusals; the registry's errors.
func classify(err error) reason {
	var pe *resolve.PolicyError
	if errors.As(err, &pe) {
		return policyReason(pe.Reason)
	}
	switch {
	case errors.Is(err, errState):
		return reasonState
	case errors.Is(err, errCancelled):
		return reasonCancelled
	case errors.Is(err, errMissingParam):
		return reasonBadRequest
	case errors.Is(err, errJSAPI):
		return reasonJSAPI
	case errors.Is(err, errUnknownClient):
		return reasonUnknownClient
	case errors.Is(err, errNoInitiateURI):
		return reasonNoEntry
	case errors.Is(err, errNoCorps):
		return reasonUnknownCorp
	case errors.Is(err, resolve.ErrUnknownCorp):
		return reasonUnknownCorp
	case errors.Is(err, resolve.ErrNoSSO):
		return reasonNoSSO
	case errors.Is(err, resolve.ErrNoSuiteTicket):
		return reasonNoTicket
	case errors.Is(err, resolve.ErrUnknownClient), errors.Is(err, resolve.ErrUnknownSuite):
		return reasonBadCredentials
	}
	var api *dingtalk.APIError
	if errors.As(err, &api) {
		for _, c := range []string{api.SubCode, api.Code} {
			switch c {
			case "41007":
				return reasonSSOCodeInvalid
			case "60011", "Forbidden.AccessDenied.AccessTokenPermissionDenied":
				return reasonNoPermission
			case "60020", "Forbidden.AccessDenied.IpNotInWhiteList":
				return reasonIPWhitelist
			case "60121", "50002", "40079":
				return reasonNotVisible
			}
		}
	}
	switch dingtalk.KindOf(err) {
	case dingtalk.KindCodeInvalid:
		if api != nil && (api.Endpoint == "GET /v1.0/oauth2/ssoUserInfo" || api.Endpoint == "GET /sso/getuserinfo") {
			return reasonSSOCodeInvalid
		}
		return reasonCodeInvalid
	case dingtalk.KindNotMember:
		return reasonNotVisible
	case dingtalk.KindNoPermission:
		return reasonNoPermission
	case dingtalk.KindThrottled:
		return reasonThrottled
	case dingtalk.KindBadCredentials:
		return reasonBadCredentials
	case dingtalk.KindTimestamp:
		return reasonClock
	case dingtalk.KindTransient, dingtalk.KindTokenInvalid:
		return reasonUnavailable
	}
	return reasonInternal
}

// policyReason maps a policy refusal to its failure reason.
func policyReason(r resolve.PolicyReason) reason {
	switch r {
	case resolve.CorpNotAllowed:
		return reasonCorpNotAllowed
	case resolve.NotMember:
		return reasonNotMember
	case resolve.NotInDepartment:
		return reasonNotInDepartment
	case resolve.Inactive:
		return reasonInactive
	case resolve.UnknownCorp:
		return reasonUnknownCorp
	}
	return reasonCorpNotAllowed
}

// detail is the non-secret specific a page may show: for 60011 the
// permission DingTalk names in sub_msg.
func detail(rsn reason, err error) string {
	var api *dingtalk.APIError
	if rsn != reasonNoPermission || !errors.As(err, &api) {
		return ""
	}
	d := api.SubMessage
	if d == "" {
		d = api.Message
	}
	if len(d) > 200 {
		d = d[:200]
	}
	return d
}
