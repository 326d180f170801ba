package templates

// loginText holds the strings of the DingTalk login pages' own chrome, per
// language. What went wrong on an error page comes from the caller
// (LoginFailure), already in the page's language.
var loginText = map[Lang]map[string]string{
	ZhCN: {
		"request_id":         "请求编号",
		"qr_title":           "使用钉钉登录",
		"qr_intro":           "登录后将返回",
		"qr_hint":            "请使用钉钉手机客户端扫描二维码，并在手机上确认登录。",
		"qr_error":           "二维码加载失败。请使用下方按钮打开钉钉登录页面。",
		"qr_noscript":        "二维码需要启用 JavaScript。您也可以使用下方按钮打开钉钉登录页面。",
		"qr_link":            "打开钉钉登录页面（扫码或账号密码）",
		"qr_legacy":          "使用旧版扫码登录",
		"workspace_title":    "正在通过钉钉登录",
		"workspace_message":  "正在获取您的钉钉身份，请稍候……",
		"workspace_noscript": "钉钉免登需要启用 JavaScript。",
		"corp_title":         "选择组织",
		"corp_message":       "您要以哪个组织的身份登录？",
		"error_title":        "无法完成登录",
		"error_todo":         "怎么办：",
		"error_detail":       "详细信息",
		"retry":              "重试",
		"back":               "返回应用",
	},
	EN: {
		"request_id":         "Request ID",
		"qr_title":           "Sign in with DingTalk",
		"qr_intro":           "After signing in you will return to",
		"qr_hint":            "Scan the QR code with the DingTalk mobile app and confirm the sign-in on your phone.",
		"qr_error":           "The QR code could not be loaded. Use the button below to open DingTalk's sign-in page.",
		"qr_noscript":        "The QR code needs JavaScript. You can also use the button below to open DingTalk's sign-in page.",
		"qr_link":            "Open DingTalk's sign-in page (QR code or account and password)",
		"qr_legacy":          "Use the classic QR sign-in",
		"workspace_title":    "Signing you in with DingTalk",
		"workspace_message":  "Getting your DingTalk identity, one moment…",
		"workspace_noscript": "Signing in inside DingTalk needs JavaScript.",
		"corp_title":         "Choose an organization",
		"corp_message":       "Which organization do you want to sign in with?",
		"error_title":        "Sign-in could not be completed",
		"error_todo":         "What to do:",
		"error_detail":       "Details",
		"retry":              "Try again",
		"back":               "Back to the application",
	},
}
