// Package templates holds dingbridge's HTML pages: embedded html/template
// files, parsed once, each exposed as one typed render function.
//
// Every page is rendered into a buffer first, so a template error never
// sends half a page, and is served with a strict Content-Security-Policy:
// no scripts at all, and only the page's own embedded stylesheet, allowed
// by its hash.
package templates

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
)

//go:embed html/*.html html/style.css
var files embed.FS

var (
	style = mustRead("html/style.css")
	// csp allows nothing but the inline stylesheet (by hash) and form
	// posts back to this origin.
	csp = "default-src 'none'; style-src '" + styleHash() + "'; img-src 'self' data:; " +
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

	errorPage            = parse("error.html")
	loggedOutPage        = parse("logged_out.html")
	loginUnavailablePage = parse("login_unavailable.html")
)

func mustRead(name string) string {
	b, err := files.ReadFile(name)
	if err != nil {
		panic(fmt.Sprintf("templates: read %s: %v", name, err))
	}
	return string(b)
}

func styleHash() string {
	sum := sha256.Sum256([]byte(style))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

func parse(page string) *template.Template {
	return template.Must(template.ParseFS(files, "html/layout.html", "html/"+page))
}

// CSP is the Content-Security-Policy header value every page is served
// with.
func CSP() string { return csp }

// view is what the layout and every page template see.
type view struct {
	Lang      Lang
	Title     string
	Message   string
	RequestID string
	Text      map[string]string
	Style     template.CSS
}

func newView(lang Lang, titleKey, messageKey, requestID string) view {
	text := catalog[lang.orDefault()]
	return view{
		Lang:      lang.orDefault(),
		Title:     text[titleKey],
		Message:   text[messageKey],
		RequestID: requestID,
		Text:      text,
		Style:     template.CSS(style),
	}
}

// render executes t into a buffer and only then writes headers and body.
func render(w http.ResponseWriter, status int, t *template.Template, v view) error {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("render %s: %w", t.Name(), err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Content-Security-Policy", csp)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

// ErrorKind selects the fixed, friendly message an error page shows. The
// detail of what went wrong goes to the log, never to the page.
type ErrorKind string

// Error kinds.
const (
	// ErrorBadRequest: the request was malformed or incomplete.
	ErrorBadRequest ErrorKind = "bad_request"
	// ErrorInvalidClient: unknown client_id or a redirect_uri that is not
	// registered, so the provider cannot send the person back.
	ErrorInvalidClient ErrorKind = "invalid_client"
	// ErrorExpired: the login request expired or was already used.
	ErrorExpired ErrorKind = "expired"
	// ErrorInternal: something failed on the server side.
	ErrorInternal ErrorKind = "internal"
)

// ErrorData is the data of the error page.
type ErrorData struct {
	Lang Lang
	// Status is the HTTP status code; 0 means 400.
	Status int
	Kind   ErrorKind
	// RequestID is shown so a person can quote it to an administrator.
	RequestID string
}

// Error renders the error page with d.Status.
func Error(w http.ResponseWriter, d ErrorData) error {
	status := d.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	kind := d.Kind
	if _, ok := catalog[EN]["error_"+string(kind)]; !ok {
		kind = ErrorBadRequest
	}
	v := newView(d.Lang, "error_title", "error_"+string(kind), d.RequestID)
	return render(w, status, errorPage, v)
}

// LoggedOutData is the data of the page shown after logout when there is
// no valid post_logout_redirect_uri.
type LoggedOutData struct {
	Lang      Lang
	RequestID string
}

// LoggedOut renders the "signed out" page with status 200.
func LoggedOut(w http.ResponseWriter, d LoggedOutData) error {
	return render(w, http.StatusOK, loggedOutPage, newView(d.Lang, "logged_out_title", "logged_out_message", d.RequestID))
}

// LoginUnavailableData is the data of the page shown when no login method
// is configured.
type LoginUnavailableData struct {
	Lang      Lang
	RequestID string
}

// LoginUnavailable renders the "no login method configured" page with
// status 503.
func LoginUnavailable(w http.ResponseWriter, d LoginUnavailableData) error {
	v := newView(d.Lang, "login_unavailable_title", "login_unavailable_message", d.RequestID)
	return render(w, http.StatusServiceUnavailable, loginUnavailablePage, v)
}
