package dingtalktest

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

//go:embed assets
var assets embed.FS

var pageTmpl = template.Must(template.ParseFS(assets, "assets/pages.html"))

// renderPage renders a template into a buffer first so an error never sends
// half a page.
func renderPage(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := pageTmpl.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "template error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func errorPage(w http.ResponseWriter, msg string) {
	renderPage(w, http.StatusBadRequest, "error", msg)
}

type hiddenField struct{ Name, Value string }

type pageUser struct {
	Value, Name, Initial, Detail string
	Inactive, Selected           bool
}

type pageCorp struct {
	ID, Name string
	Users    []pageUser
}

type loginPageData struct {
	Title, AppName, Action, Error string
	Hidden                        []hiddenField
	Corps                         []pageCorp
	Password, Embedded            bool
}

func toPageUser(u User, value string) pageUser {
	r, _ := utf8.DecodeRuneInString(u.Name)
	detail := u.Title
	if u.Mobile != "" {
		detail = strings.TrimSpace(detail + " · " + maskMobile(u.Mobile))
	}
	return pageUser{Value: value, Name: u.Name, Initial: string(r), Detail: strings.Trim(detail, " ·"), Inactive: u.Inactive}
}

// checkRedirect validates a redirect_uri: absolute http(s), and under one of
// prefixes when any are configured.
func checkRedirect(raw string, prefixes []string) (*url.URL, string) {
	u, err := url.Parse(raw)
	if raw == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, "redirect_uri 无效，需要 http(s) 绝对地址 · redirect_uri must be an absolute http(s) URL"
	}
	if len(prefixes) > 0 && !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(raw, p) }) {
		return nil, "redirect_uri 与应用配置的回调地址不一致 · redirect_uri is not registered for this app"
	}
	return u, ""
}

// withParams returns base with extra query parameters appended.
func withParams(base *url.URL, kv ...string) string {
	u := *base
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// hiddenFrom keeps the login parameters across the page's form posts.
func hiddenFrom(q url.Values, names ...string) []hiddenField {
	var out []hiddenField
	for _, n := range names {
		if q.Has(n) {
			out = append(out, hiddenField{n, q.Get(n)})
		}
	}
	return out
}

var dingTalkUA = regexp.MustCompile(`(?i)dingtalk`)

// clientCookie marks a browser that the /__sim/ console made act as the
// DingTalk client.
const clientCookie = "dingtalktest_client"

// inDingTalk reports whether the request comes from the DingTalk client: the
// UA says DingTalk (and is not the link-preview crawler), or the console
// switched this browser over.
func inDingTalk(r *http.Request) bool {
	ua := r.UserAgent()
	if dingTalkUA.MatchString(ua) && !strings.Contains(strings.ToLower(ua), "dingtalk-linkservice") {
		return true
	}
	c, err := r.Cookie(clientCookie)
	return err == nil && c.Value == "1"
}

// formUser splits a "corpID:userID" picker value.
func formUser(v string) (corpID, userID string) {
	corpID, userID, _ = strings.Cut(v, ":")
	return corpID, userID
}

// matchAccount finds a member among candidates by mobile or email and password.
func matchAccount(candidates []User, account, password string) (User, bool) {
	account = strings.TrimSpace(account)
	for _, u := range candidates {
		if account == "" || u.Password == "" || !secretOK(password, u.Password) {
			continue
		}
		if account == u.Mobile || strings.EqualFold(account, u.Email) || strings.EqualFold(account, u.OrgEmail) ||
			account == "+"+stateCode(u)+u.Mobile {
			return u, true
		}
	}
	return User{}, false
}
