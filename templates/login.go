package templates

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// The DingTalk login pages have their own layout: unlike the other pages
// they load scripts (DingTalk's JSAPI or DTFrameLogin, and a static script
// of ours), so each is served with a Content-Security-Policy built for it.

//go:embed login/*.html login/*.js login/style.css
var loginFiles embed.FS

var (
	loginStyle = mustReadLogin("login/style.css")

	loginQRPage        = parseLogin("qr.html")
	loginWorkspacePage = parseLogin("workspace.html")
	loginCorpPage      = parseLogin("corp.html")
	loginErrorPage     = parseLogin("error.html")
)

func mustReadLogin(name string) string {
	b, err := loginFiles.ReadFile(name)
	if err != nil {
		panic(fmt.Sprintf("templates: read %s: %v", name, err))
	}
	return string(b)
}

func parseLogin(page string) *template.Template {
	return template.Must(template.ParseFS(loginFiles, "login/layout.html", "login/"+page))
}

// LoginAsset returns a static script of the login pages ("qr.js",
// "workspace.js") and its Content-Type; ok is false for any other name.
// The login handler serves them under the path the pages' AssetBase names,
// so the pages need no inline script.
func LoginAsset(name string) (body []byte, contentType string, ok bool) {
	if name != path.Base(name) || !strings.HasSuffix(name, ".js") {
		return nil, "", false
	}
	b, err := loginFiles.ReadFile("login/" + name)
	if err != nil {
		return nil, "", false
	}
	return b, "text/javascript; charset=utf-8", true
}

// LoginPage is what every login page shows besides its own content.
type LoginPage struct {
	Lang Lang
	// RequestID is shown so a person can quote it to an administrator.
	RequestID string
	// ClientName is the application the person is signing in to.
	ClientName string
	// CancelURL is the "back to the application" link; empty hides it.
	CancelURL string
	// AssetBase is the absolute URL the static scripts are served under
	// (LoginAsset), without a trailing slash.
	AssetBase string
	// FrameAncestors are the origins allowed to embed the page (CSP
	// frame-ancestors); empty forbids embedding.
	FrameAncestors []string
}

// QRData is the data of the QR page shown outside the DingTalk client.
type QRData struct {
	LoginPage
	// FrameLoginScriptURL is DingTalk's DTFrameLogin script.
	FrameLoginScriptURL string
	// ClientID, RedirectURI, Scope, State and CorpID are DTFrameLogin's
	// login parameters; RedirectURI is not yet URL-encoded.
	ClientID, RedirectURI, Scope, State, CorpID string
	// LoginURL is DingTalk's own login page (QR, account and password);
	// its origin is the one the QR frame is allowed from.
	LoginURL string
	// LegacyURL is the legacy QR page; empty hides the link.
	LegacyURL string
}

// WorkspaceData is the data of the silent login page inside the DingTalk
// client.
type WorkspaceData struct {
	LoginPage
	// JSAPIScriptURL is DingTalk's JSAPI script (dd).
	JSAPIScriptURL string
	// CorpID and ClientID are passed to dd.requestAuthCode.
	CorpID, ClientID string
	// State is posted back with the code to Action.
	State  string
	Action string
	// FailURL is where the page goes when the JSAPI gives no code; the
	// script appends "&jsapi_error=<code>", so it must carry a query.
	FailURL string
	// RetryURL reloads the login.
	RetryURL string
	// FormTargets are the origins the posted form's redirects may lead
	// to besides this one (CSP form-action): the client's redirect URIs or
	// initiate_login_uri.
	FormTargets []string
}

// CorpChoice is one organisation on the corp chooser.
type CorpChoice struct {
	Name string
	URL  string
}

// CorpChooserData is the data of the page that asks which organisation to
// sign in with.
type CorpChooserData struct {
	LoginPage
	Corps []CorpChoice
}

// LoginFailure says, in the page's language, what went wrong and what to
// do about it.
type LoginFailure struct {
	// Status is the HTTP status; 0 means 400.
	Status int
	Title  string
	What   string
	Todo   string
	// Detail is a non-secret specific, e.g. the API permission an app
	// lacks.
	Detail string
	// RetryURL starts the login again; empty hides the link.
	RetryURL string
}

// LoginErrorData is the data of the login error page.
type LoginErrorData struct {
	LoginPage
	Failure LoginFailure
}

// loginView is what the login layout and pages see. The LoginPage fields
// the templates read are copied to its top level rather than embedded:
// text/template finds a promoted field by a breadth-first search through
// the embedded structs on every execution, the largest cost of a render.
type loginView struct {
	Lang       Lang
	RequestID  string
	ClientName string
	CancelURL  string
	// frameAncestors is LoginPage.FrameAncestors, for the headers.
	frameAncestors []string
	Title          string
	Text           map[string]string
	Style          template.CSS
	Scripts        []string
	QR             QRData
	Workspace      WorkspaceData
	Corps          []CorpChoice
	Failure        LoginFailure
}

func newLoginView(p LoginPage, titleKey string) loginView {
	p.Lang = p.Lang.orDefault()
	return loginView{
		Lang: p.Lang, RequestID: p.RequestID, ClientName: p.ClientName, CancelURL: p.CancelURL,
		frameAncestors: p.FrameAncestors,
		Title:          loginText[p.Lang][titleKey], Text: loginText[p.Lang], Style: template.CSS(loginStyle),
	}
}

// LoginQR renders the QR page (status 200).
func LoginQR(w http.ResponseWriter, d QRData) error {
	v := newLoginView(d.LoginPage, "qr_title")
	v.QR = d
	v.Scripts = []string{d.FrameLoginScriptURL, d.AssetBase + "/qr.js"}
	pol := cspFor(d.LoginPage)
	pol.scripts = append(pol.scripts, origin(d.FrameLoginScriptURL))
	pol.frames = append(pol.frames, origin(d.LoginURL), origin(d.FrameLoginScriptURL))
	var buf bytes.Buffer
	if err := loginQRCompiled.render(&buf, &v); err != nil {
		return fmt.Errorf("render %s: %w", loginQRPage.Name(), err)
	}
	return writeLogin(w, http.StatusOK, &buf, v, pol)
}

// loginQRCompiled serves the QR page, which every browser login outside
// the DingTalk client is shown, compiled (compiled.go).
var loginQRCompiled = &pageCompiler{
	t: loginQRPage,
	slots: func(v *loginView) []*string {
		return []*string{&v.RequestID, &v.ClientName, &v.CancelURL, &v.QR.ClientID, &v.QR.RedirectURI,
			&v.QR.Scope, &v.QR.State, &v.QR.CorpID, &v.QR.LoginURL, &v.QR.LegacyURL, &v.Scripts[0], &v.Scripts[1]}
	},
	base: func(lang Lang, title string) loginView {
		v := newLoginView(LoginPage{Lang: lang}, "qr_title")
		v.Title = title
		v.Scripts = make([]string, 2)
		return v
	},
}

// LoginWorkspace renders the silent login page (status 200).
func LoginWorkspace(w http.ResponseWriter, d WorkspaceData) error {
	v := newLoginView(d.LoginPage, "workspace_title")
	v.Workspace = d
	v.Scripts = []string{d.JSAPIScriptURL, d.AssetBase + "/workspace.js"}
	pol := cspFor(d.LoginPage)
	pol.scripts = append(pol.scripts, origin(d.JSAPIScriptURL))
	// The JSAPI may talk to its own origin (the simulator's shim does).
	pol.connect = append(pol.connect, origin(d.JSAPIScriptURL))
	for _, t := range d.FormTargets {
		pol.forms = append(pol.forms, origin(t))
	}
	return renderLogin(w, http.StatusOK, loginWorkspacePage, v, pol)
}

// LoginCorpChooser renders the corp chooser (status 200).
func LoginCorpChooser(w http.ResponseWriter, d CorpChooserData) error {
	v := newLoginView(d.LoginPage, "corp_title")
	v.Corps = d.Corps
	return renderLogin(w, http.StatusOK, loginCorpPage, v, cspFor(d.LoginPage))
}

// LoginError renders the login error page with d.Failure.Status.
func LoginError(w http.ResponseWriter, d LoginErrorData) error {
	v := newLoginView(d.LoginPage, "error_title")
	v.Failure = d.Failure
	if d.Failure.Title != "" {
		v.Title = d.Failure.Title
	}
	status := d.Failure.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	return renderLogin(w, status, loginErrorPage, v, cspFor(d.LoginPage))
}

// loginPolicy collects the sources of one page's Content-Security-Policy.
type loginPolicy struct {
	scripts, connect, frames, forms, ancestors []string
}

func cspFor(p LoginPage) loginPolicy {
	return loginPolicy{ancestors: p.FrameAncestors}
}

func (pol loginPolicy) String() string {
	sum := sha256.Sum256([]byte(loginStyle))
	var b strings.Builder
	b.WriteString("default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; img-src 'self' data:")
	b.WriteString("; script-src " + sources("'self'", pol.scripts))
	if len(pol.connect) > 0 {
		b.WriteString("; connect-src " + sources("'self'", pol.connect))
	}
	if len(pol.frames) > 0 {
		b.WriteString("; frame-src " + sources("", pol.frames))
	}
	b.WriteString("; form-action " + sources("'self'", pol.forms))
	b.WriteString("; frame-ancestors " + sources("", pol.ancestors))
	b.WriteString("; base-uri 'none'")
	return b.String()
}

// sources joins first and the distinct non-empty origins; none at all is
// 'none'.
func sources(first string, origins []string) string {
	var out []string
	if first != "" {
		out = append(out, first)
	}
	for _, o := range origins {
		if o == "" || strings.ContainsAny(o, " ;,") {
			continue
		}
		dup := false
		for _, x := range out {
			dup = dup || x == o
		}
		if !dup {
			out = append(out, o)
		}
	}
	if len(out) == 0 {
		return "'none'"
	}
	return strings.Join(out, " ")
}

// origin returns scheme://host of an absolute URL, or "" (and a bare
// source expression such as "https://*.dingtalk.com" is kept as is).
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// renderLogin executes t into a buffer and only then writes headers and
// body.
func renderLogin(w http.ResponseWriter, status int, t *template.Template, v loginView, pol loginPolicy) error {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("render %s: %w", t.Name(), err)
	}
	return writeLogin(w, status, &buf, v, pol)
}

// writeLogin writes a rendered login page with its headers.
func writeLogin(w http.ResponseWriter, status int, buf *bytes.Buffer, v loginView, pol loginPolicy) error {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Content-Security-Policy", pol.String())
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if len(v.frameAncestors) == 0 {
		h.Set("X-Frame-Options", "DENY")
	}
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}
