package templates

import (
	"sort"
	"strconv"
	"strings"
)

// Lang is a page language.
type Lang string

// The languages pages are written in.
const (
	ZhCN Lang = "zh-CN"
	EN   Lang = "en"
)

// DefaultLang is used when neither ui_locales nor Accept-Language names a
// language we have.
const DefaultLang = ZhCN

func (l Lang) orDefault() Lang {
	if _, ok := catalog[l]; ok {
		return l
	}
	return DefaultLang
}

// match maps a BCP 47 tag to one of our languages.
func match(tag string) (Lang, bool) {
	tag = strings.ToLower(strings.TrimSpace(tag))
	switch {
	case tag == "zh" || strings.HasPrefix(tag, "zh-"):
		return ZhCN, true
	case tag == "en" || strings.HasPrefix(tag, "en-"):
		return EN, true
	}
	return "", false
}

// Negotiate picks the page language: the first of the OIDC ui_locales we
// have, else the best Accept-Language entry we have, else DefaultLang.
func Negotiate(uiLocales []string, acceptLanguage string) Lang {
	for _, tag := range uiLocales {
		if l, ok := match(tag); ok {
			return l
		}
	}
	type weighted struct {
		tag string
		q   float64
	}
	var tags []weighted
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag, params, _ := strings.Cut(part, ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			q = f
		}
		if q > 0 {
			tags = append(tags, weighted{tag, q})
		}
	}
	sort.SliceStable(tags, func(i, j int) bool { return tags[i].q > tags[j].q })
	for _, t := range tags {
		if l, ok := match(t.tag); ok {
			return l
		}
	}
	return DefaultLang
}

// catalog holds every string the pages show, per language.
var catalog = map[Lang]map[string]string{
	ZhCN: {
		"request_id":                "请求编号",
		"error_title":               "无法完成登录",
		"error_bad_request":         "请求无效或不完整。请返回应用重新发起登录。",
		"error_invalid_client":      "应用的登录配置有误（未知应用或回调地址未登记），无法返回应用。请联系管理员。",
		"error_expired":             "登录请求已过期或已被使用。请返回应用重新发起登录。",
		"error_internal":            "服务器出现错误，请稍后重试。如果问题持续，请联系管理员。",
		"logged_out_title":          "已退出登录",
		"logged_out_message":        "您已成功退出登录，可以关闭此页面。",
		"login_unavailable_title":   "暂无可用的登录方式",
		"login_unavailable_message": "此服务尚未配置任何登录方式。请联系管理员。",
	},
	EN: {
		"request_id":                "Request ID",
		"error_title":               "Sign-in could not be completed",
		"error_bad_request":         "The request was invalid or incomplete. Please go back to the application and sign in again.",
		"error_invalid_client":      "The application's sign-in settings are wrong (unknown application or unregistered redirect address), so you cannot be sent back. Please contact your administrator.",
		"error_expired":             "This sign-in request has expired or was already used. Please go back to the application and sign in again.",
		"error_internal":            "Something went wrong on our side. Please try again later, and contact your administrator if it keeps happening.",
		"logged_out_title":          "Signed out",
		"logged_out_message":        "You have been signed out. You can close this page.",
		"login_unavailable_title":   "No sign-in method available",
		"login_unavailable_message": "No sign-in method has been configured for this service. Please contact your administrator.",
	},
}
