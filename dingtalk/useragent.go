package dingtalk

import (
	"regexp"
	"strings"
)

var (
	mobileVersion  = regexp.MustCompile(`AliApp\(DingTalk/([\w.\-]+)\)`)
	desktopVersion = regexp.MustCompile(`DingTalk\(([\w.\-]+)\)`)
)

// IsDingTalkUserAgent reports whether a request comes from inside the
// DingTalk client (mobile webview, desktop client, mini-program web-view):
// the User-Agent contains "dingtalk" in any case, and it is not DingTalk's
// link-preview crawler (DingTalk-LinkService), which is not a user.
func IsDingTalkUserAgent(ua string) bool {
	l := strings.ToLower(ua)
	return strings.Contains(l, "dingtalk") && !strings.Contains(l, "dingtalk-linkservice")
}

// DingTalkVersion extracts the DingTalk client version from a User-Agent:
// "AliApp(DingTalk/7.0.45)" on mobile, "DingTalk(7.0.50-Release.1)" on the
// desktop clients. It returns "" when the UA is not a DingTalk client or
// carries no version.
func DingTalkVersion(ua string) string {
	if !IsDingTalkUserAgent(ua) {
		return ""
	}
	if m := mobileVersion.FindStringSubmatch(ua); m != nil {
		return m[1]
	}
	if m := desktopVersion.FindStringSubmatch(ua); m != nil {
		return m[1]
	}
	return ""
}
