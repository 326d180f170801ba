package main

import (
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Pages the browser recognises.
var (
	// dingbridge's QR page: its button links to DingTalk's login page.
	qrPage       = regexp.MustCompile(`id="dt-qr"`)
	qrButtonLink = regexp.MustCompile(`<a class="button" href="([^"]*)"`)
	// The simulator's login page: one form per action.
	formRe   = regexp.MustCompile(`(?s)<form method="post" action="([^"]*)"[^>]*>(.*?)</form>`)
	hiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
	tagRe    = regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<[^>]*>`)
)

// errStop ends redirect following at the -stop prefix.
var errStop = errors.New("stop prefix reached")

// run browses from o.start until o.stop or o.until.
func run(o options) (result, error) {
	jar, err := loadJar(o.jar)
	if err != nil {
		return result{}, err
	}
	b := &browser{o: o}
	b.c = &http.Client{
		Jar:     jar,
		Timeout: 30 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			b.steps++
			if b.steps > o.maxSteps {
				return fmt.Errorf("more than %d requests", o.maxSteps)
			}
			if o.stop != "" && strings.HasPrefix(req.URL.String(), o.stop) {
				b.stopped = req.URL.String()
				return errStop
			}
			return nil
		},
	}
	res, err := b.browse()
	if err == nil && o.login == "required" && !b.picked {
		err = fmt.Errorf("reached %s without the DingTalk login page; a fresh login was expected", redactString(res.url))
	}
	if serr := jar.save(); serr != nil && err == nil {
		err = serr
	}
	return res, err
}

// browser is one browsing run.
type browser struct {
	o       options
	c       *http.Client
	steps   int
	stopped string
	// picked is set once the member pick has been submitted.
	picked bool
}

func (b *browser) browse() (result, error) {
	if b.o.stop != "" && strings.HasPrefix(b.o.start, b.o.stop) {
		return result{url: b.o.start}, nil
	}
	req, err := newRequest(http.MethodGet, b.o.start, nil)
	if err != nil {
		return result{}, err
	}
	for {
		b.steps++
		if b.steps > b.o.maxSteps {
			return result{}, fmt.Errorf("more than %d requests", b.o.maxSteps)
		}
		resp, err := b.c.Do(req)
		if errors.Is(err, errStop) {
			resp.Body.Close()
			return result{url: b.stopped}, nil
		}
		if err != nil {
			return result{}, fmt.Errorf("%s %s: %w", req.Method, redact(req.URL), err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
		resp.Body.Close()
		if err != nil {
			return result{}, fmt.Errorf("read %s: %w", redact(resp.Request.URL), err)
		}
		page := string(body)
		at := resp.Request.URL
		if b.o.until != "" && strings.HasPrefix(at.String(), b.o.until) && resp.StatusCode/100 == 2 && !isLoginPage(page) {
			return result{url: at.String(), body: page}, nil
		}
		if resp.StatusCode != http.StatusOK {
			return result{}, &unexpectedPage{status: resp.StatusCode, url: redact(at), body: page}
		}
		switch {
		case qrPage.MatchString(page):
			req, err = b.followQRButton(at, page)
		case isLoginPage(page):
			req, err = b.pickMember(at, page)
		default:
			return result{}, &unexpectedPage{status: resp.StatusCode, url: redact(at), body: page}
		}
		if err != nil {
			return result{}, err
		}
	}
}

// isLoginPage reports whether page is the simulator's login page.
func isLoginPage(page string) bool {
	return strings.Contains(page, `action="/oauth2/auth"`) && strings.Contains(page, `name="user"`)
}

// followQRButton follows the QR page's link to DingTalk's own login page,
// as a person who cannot scan does.
func (b *browser) followQRButton(at *url.URL, page string) (*http.Request, error) {
	m := qrButtonLink.FindStringSubmatch(page)
	if m == nil {
		return nil, &unexpectedPage{status: http.StatusOK, url: redact(at), body: page}
	}
	next, err := at.Parse(html.UnescapeString(m[1]))
	if err != nil {
		return nil, fmt.Errorf("QR page link: %w", err)
	}
	return newRequest(http.MethodGet, next.String(), nil)
}

// pickMember submits the login form's member button for -user.
func (b *browser) pickMember(at *url.URL, page string) (*http.Request, error) {
	if b.o.login == "forbidden" {
		return nil, fmt.Errorf("the DingTalk login page appeared at %s; single sign-on was expected", redact(at))
	}
	if b.o.user == "" {
		return nil, fmt.Errorf("the DingTalk login page at %s asks who logs in, and -user is empty", redact(at))
	}
	button := `name="user" value="` + html.EscapeString(b.o.user) + `"`
	for _, f := range formRe.FindAllStringSubmatch(page, -1) {
		if !strings.Contains(f[2], button) {
			continue
		}
		form := url.Values{"user": {b.o.user}}
		for _, h := range hiddenRe.FindAllStringSubmatch(f[2], -1) {
			form.Add(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
		}
		action, err := at.Parse(html.UnescapeString(f[1]))
		if err != nil {
			return nil, fmt.Errorf("login form action: %w", err)
		}
		req, err := newRequest(http.MethodPost, action.String(), strings.NewReader(form.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		b.picked = true
		return req, nil
	}
	return nil, fmt.Errorf("the DingTalk login page at %s does not offer %s: %w", redact(at), b.o.user,
		&unexpectedPage{status: http.StatusOK, url: redact(at), body: page})
}

// newRequest makes a request with a browser's Accept headers (relying
// parties such as mod_auth_openidc answer 401 instead of redirecting
// clients that do not accept HTML).
func newRequest(method, target string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	req.Header.Set("Accept-Language", "en")
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) dingbridge-interop-browse/1")
	return req, nil
}

// redact is u without its query and fragment, which may carry codes.
func redact(u *url.URL) string {
	c := *u
	c.RawQuery, c.Fragment = "", ""
	return c.String()
}

// redactString is redact for a URL string.
func redactString(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return redact(u)
}

// stripTags is a page's text, roughly.
func stripTags(s string) string {
	return html.UnescapeString(tagRe.ReplaceAllString(s, " "))
}
