package provider

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
)

// formPostPage is the OAuth 2.0 Form Post Response Mode page: it posts
// every response parameter (code or error, error_description, state,
// iss) to the redirect_uri. op's own page knows only the success
// parameters, so errors and iss would be lost.
var formPostPage = template.Must(template.New("form_post").Parse(`<!doctype html>
<html>
<head><meta charset="utf-8"><title>Submit</title></head>
<body>
<form method="post" action="{{.Action}}">
{{- range .Fields}}
<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{- end}}
<noscript><button type="submit">Continue</button></noscript>
</form>
<script nonce="{{.Nonce}}">document.forms[0].submit()</script>
</body>
</html>
`))

type formField struct{ Name, Value string }

// writeFormPost renders the form post page for values, in a stable order,
// and writes it; an error means nothing was written.
func writeFormPost(w http.ResponseWriter, redirectURI string, values url.Values) error {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var fields []formField
	for _, k := range keys {
		for _, v := range values[k] {
			fields = append(fields, formField{Name: k, Value: v})
		}
	}
	nonce := randomString(16)
	var buf bytes.Buffer
	err := formPostPage.Execute(&buf, struct {
		Action template.URL
		Fields []formField
		Nonce  string
	}{template.URL(redirectURI), fields, nonce})
	if err != nil {
		return fmt.Errorf("render form post: %w", err)
	}
	// Nothing has been written yet, so a render error can still show the
	// error page; a write error cannot be reported to the browser.
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusOK)
	_, _ = buf.WriteTo(w)
	return nil
}
