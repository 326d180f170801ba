package templates

import (
	"bytes"
	"html/template"
	"net/http/httptest"
	"strings"
	"testing"
)

// hostile are values a per-request string might hold, each aimed at one
// of the escapings: markup, quotes, schemes html/template refuses or
// keeps, percent escapes valid and not, NUL, invalid UTF-8, and the
// compiler's own markers.
var hostile = []string{
	"", "a", "Grafana 监控", `"><script>alert(1)</script>`, "' onmouseover='x", "a&b+c",
	"javascript:alert(1)", "JavaScript:x", " javascript:x", "data:text/html,<b>", "vbscript:x",
	"https://x.example/a?b=c&d=e+f#g", "HTTPS://X.EXAMPLE", "mailto:a@b.example", "//evil.example/x",
	"/relative:path", "rel/a:b", "http:", ":", "%zz%41%4", "%", "%%41", "\x00", "\xff\xfe\xfd",
	"ü\uFFFD\u2028", "\ufdd0\uffff", " spaced\ttab\nline ", "zqxs01qxz", "zqxaqxz", "#ZgotmplZ",
}

// executed renders d's QR page with html/template, the reference.
func executedQR(t *testing.T, d QRData) string {
	t.Helper()
	v := newLoginView(d.LoginPage, "qr_title")
	v.QR = d
	v.Scripts = []string{d.FrameLoginScriptURL, d.AssetBase + "/qr.js"}
	var b bytes.Buffer
	if err := loginQRPage.ExecuteTemplate(&b, "layout", v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func servedQR(t *testing.T, d QRData) string {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := LoginQR(rec, d); err != nil {
		t.Fatal(err)
	}
	return rec.Body.String()
}

// qrWith fills every string of the QR page with values from vals, in
// turn from offset k, so that each field meets each value.
func qrWith(lang Lang, vals []string, k int) QRData {
	at := func(i int) string { return vals[(k+i)%len(vals)] }
	return QRData{
		LoginPage: LoginPage{
			Lang: lang, RequestID: at(0), ClientName: at(1), CancelURL: at(2), AssetBase: at(3),
			FrameAncestors: []string{at(4)},
		},
		FrameLoginScriptURL: at(5), ClientID: at(6), RedirectURI: at(7), Scope: at(8), State: at(9),
		CorpID: at(10), LoginURL: at(11), LegacyURL: at(12),
	}
}

// The compiled QR page is html/template's output byte for byte, for
// every language and every hostile value in every field.
func TestCompiledQRPageIsTheTemplatesOutput(t *testing.T) {
	for _, lang := range []Lang{ZhCN, EN, Lang("")} {
		for k := range hostile {
			d := qrWith(lang, hostile, k)
			if got, want := servedQR(t, d), executedQR(t, d); got != want {
				t.Fatalf("lang %q, offset %d: compiled page differs from the template's:\n got: %s\nwant: %s", lang, k, got, want)
			}
		}
	}
}

// A typical page is compiled, not executed: every cut has an escaping
// this file reproduces.
func TestQRPageCompiles(t *testing.T) {
	c := &pageCompiler{t: loginQRCompiled.t, slots: loginQRCompiled.slots, base: loginQRCompiled.base}
	d := qrWith(ZhCN, []string{"https://sso.example/x?a=1&b=2", "Grafana", "st"}, 0)
	v := newLoginView(d.LoginPage, "qr_title")
	v.QR = d
	v.Scripts = []string{d.FrameLoginScriptURL, d.AssetBase + "/qr.js"}
	var b bytes.Buffer
	if err := c.render(&b, &v); err != nil {
		t.Fatal(err)
	}
	if len(c.pages) != 1 {
		t.Fatalf("%d variants", len(c.pages))
	}
	for _, p := range c.pages {
		if p == nil {
			key := pageVariant{lang: v.Lang, title: v.Title, present: 1<<12 - 1}
			_, err := c.compile(key)
			t.Fatalf("the QR page did not compile: %v", err)
		}
		var urls int
		for _, ct := range p.cuts {
			if ct.esc == escapeURL {
				urls++
			}
		}
		// href of LoginURL, LegacyURL and CancelURL, the two script
		// sources and data-redirect-uri.
		if len(p.cuts) != 12 || urls != 6 {
			t.Errorf("%d cuts, %d of them URLs; want 12 and 6", len(p.cuts), urls)
		}
	}
}

// A value in a context whose escaping is not reproduced (script, style,
// a URL's query) makes the page uncompilable, and it is executed instead.
func TestUncompilableContextsAreExecuted(t *testing.T) {
	for _, body := range []string{
		`<script>var s = "{{.RequestID}}";</script>`,
		`<p style="color: {{.RequestID}}">x</p>`,
		`<a href="/cancel?id={{.RequestID}}">x</a>`,
		`<a onclick="go('{{.RequestID}}')">x</a>`,
	} {
		tpl := template.Must(template.New("layout").Parse(`{{define "layout"}}` + body + `{{end}}`))
		c := &pageCompiler{
			t:     tpl,
			slots: func(v *loginView) []*string { return []*string{&v.RequestID} },
			base:  func(lang Lang, title string) loginView { return loginView{Lang: lang, Title: title} },
		}
		if _, err := c.compile(pageVariant{lang: ZhCN, present: 1}); err == nil {
			t.Errorf("%s compiled", body)
		}
		for _, val := range hostile {
			v := loginView{Lang: ZhCN, RequestID: val}
			var got, want bytes.Buffer
			if err := c.render(&got, &v); err != nil {
				t.Fatal(err)
			}
			if err := tpl.ExecuteTemplate(&want, "layout", &v); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Fatalf("%s with %q: %s, want %s", body, val, got.String(), want.String())
			}
		}
	}
}

func TestEscapersMatchHTMLTemplate(t *testing.T) {
	text := template.Must(template.New("t").Parse(`<p title="{{.}}">{{.}}</p>`))
	url := template.Must(template.New("u").Parse(`<a href="{{.}}">`))
	for _, s := range append(hostile, probeText, probeScheme) {
		var want, got bytes.Buffer
		_ = text.Execute(&want, s)
		var e strings.Builder
		writeTextEscaped(&e, s)
		got.WriteString(`<p title="` + e.String() + `">` + e.String() + `</p>`)
		if got.String() != want.String() {
			t.Errorf("text %q: %s, want %s", s, got.String(), want.String())
		}
		want.Reset()
		_ = url.Execute(&want, s)
		var u strings.Builder
		writeURLEscaped(&u, s)
		if g := `<a href="` + u.String() + `">`; g != want.String() {
			t.Errorf("URL %q: %s, want %s", s, g, want.String())
		}
	}
}

func FuzzCompiledQRPage(f *testing.F) {
	for _, s := range hostile {
		f.Add(s, "https://sso.example/cb", "st-1")
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		d := qrWith(ZhCN, []string{a, b, c}, 0)
		if got, want := servedQR(t, d), executedQR(t, d); got != want {
			t.Fatalf("compiled page differs from the template's:\n got: %s\nwant: %s", got, want)
		}
	})
}
