package provider

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/internal/syncbuf"
	"github.com/dingbridge/dingbridge/storage"
)

// codeFor runs a login for c in a fresh browser and returns the code and
// the PKCE verifier used.
func (e *env) codeFor(t *testing.T, c testClient) (code, verifier string) {
	t.Helper()
	return e.codeWith(t, c, url.Values{})
}

// codeWith is codeFor with further authorization parameters.
func (e *env) codeWith(t *testing.T, c testClient, extra url.Values) (code, verifier string) {
	t.Helper()
	verifier, challenge := pkce()
	extra.Set("code_challenge", challenge)
	extra.Set("code_challenge_method", "S256")
	q := e.login(t, newBrowser(t), c, extra)
	if q.Get("code") == "" {
		t.Fatalf("no code: %v", q)
	}
	return q.Get("code"), verifier
}

func (e *env) exchange(t *testing.T, c testClient, basic bool, code, verifier string) (int, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {c.RedirectURIs[0]}}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	return e.post(t, "/oauth/token", c, basic, form)
}

func wantOAuthError(t *testing.T, what string, status int, body map[string]any, wantStatus int, wantErr string) {
	t.Helper()
	if status != wantStatus || body["error"] != wantErr {
		t.Errorf("%s: %d %v, want %d %s", what, status, body, wantStatus, wantErr)
	}
}

func TestProtocolErrors(t *testing.T) {
	e := newEnv(t, newSQLite(t))
	c := e.addClient("web", nil)

	t.Run("wrong redirect_uri shows a page", func(t *testing.T) {
		u := e.authorizeURL(c, url.Values{"redirect_uri": {"https://" + rpHost + "/elsewhere"}})
		resp := visit(t, newBrowser(t), u)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "<html") {
			t.Errorf("got %d Location=%q type=%q", resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("Content-Type"))
		}
		if resp.Header.Get("X-Request-Id") == "" || !strings.Contains(string(body), resp.Header.Get("X-Request-Id")) {
			t.Error("error page does not show the request id")
		}
	})

	t.Run("unknown client shows a page", func(t *testing.T) {
		resp := visit(t, newBrowser(t), e.issuer+"/authorize?client_id=nobody&redirect_uri=https://"+rpHost+"/cb&response_type=code&scope=openid")
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
			t.Errorf("got %d Location=%q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})

	t.Run("code reuse", func(t *testing.T) {
		code, v := e.codeFor(t, c)
		if status, body := e.exchange(t, c, true, code, v); status != http.StatusOK {
			t.Fatalf("first exchange: %d %v", status, body)
		}
		status, body := e.exchange(t, c, true, code, v)
		wantOAuthError(t, "second exchange", status, body, http.StatusBadRequest, "invalid_grant")
	})

	t.Run("wrong PKCE verifier", func(t *testing.T) {
		code, _ := e.codeFor(t, c)
		status, body := e.exchange(t, c, true, code, "wrong-verifier-wrong-verifier-wrong-verifier")
		wantOAuthError(t, "exchange", status, body, http.StatusBadRequest, "invalid_grant")
	})

	t.Run("verifier without challenge", func(t *testing.T) {
		q := e.login(t, newBrowser(t), c, nil)
		status, body := e.exchange(t, c, true, q.Get("code"), "some-verifier-some-verifier-some-verifier-xx")
		wantOAuthError(t, "exchange", status, body, http.StatusBadRequest, "invalid_grant")
	})

	t.Run("confidential client without PKCE", func(t *testing.T) {
		q := e.login(t, newBrowser(t), c, nil)
		if status, body := e.exchange(t, c, false, q.Get("code"), ""); status != http.StatusOK || body["id_token"] == nil {
			t.Errorf("exchange with client_secret_post: %d %v", status, body)
		}
	})

	t.Run("expired code", func(t *testing.T) {
		code, v := e.codeFor(t, c)
		e.clock.Advance(2 * time.Minute)
		defer e.clock.Advance(-2 * time.Minute)
		status, body := e.exchange(t, c, true, code, v)
		wantOAuthError(t, "exchange", status, body, http.StatusBadRequest, "invalid_grant")
	})

	t.Run("wrong client secret", func(t *testing.T) {
		code, v := e.codeFor(t, c)
		wrong := testClient{Client: c.Client, secret: "not-the-secret"}
		status, body := e.exchange(t, wrong, true, code, v)
		wantOAuthError(t, "basic", status, body, http.StatusUnauthorized, "invalid_client")
		status, body = e.exchange(t, wrong, false, code, v)
		wantOAuthError(t, "post", status, body, http.StatusUnauthorized, "invalid_client")
		// The code survived the failed attempts.
		if status, body := e.exchange(t, c, true, code, v); status != http.StatusOK {
			t.Errorf("exchange with the right secret: %d %v", status, body)
		}
	})

	t.Run("refresh token reuse revokes the family", func(t *testing.T) {
		code, v := e.codeFor(t, c)
		_, tok := e.exchange(t, c, true, code, v)
		first, _ := tok["refresh_token"].(string)
		status, next := e.post(t, "/oauth/token", c, true, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first}})
		if status != http.StatusOK {
			t.Fatalf("refresh: %d %v", status, next)
		}
		status, body := e.post(t, "/oauth/token", c, true, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first}})
		wantOAuthError(t, "reuse", status, body, http.StatusBadRequest, "invalid_grant")
		status, body = e.post(t, "/oauth/token", c, true, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {next["refresh_token"].(string)}})
		wantOAuthError(t, "successor after reuse", status, body, http.StatusBadRequest, "invalid_grant")
	})

	t.Run("prompt=none without session", func(t *testing.T) {
		q := e.login(t, newBrowser(t), c, url.Values{"prompt": {"none"}, "state": {"s1"}})
		if q.Get("error") != "login_required" || q.Get("iss") != e.issuer || q.Get("state") != "s1" || q.Get("code") != "" {
			t.Errorf("response = %v", q)
		}
	})

	t.Run("prompt=login forces a new login", func(t *testing.T) {
		b := newBrowser(t)
		e.login(t, b, c, nil)
		before := e.auth.calls.Load()
		e.login(t, b, c, nil)
		if e.auth.calls.Load() != before {
			t.Fatal("session was not reused")
		}
		e.login(t, b, c, url.Values{"prompt": {"login"}})
		e.login(t, b, c, url.Values{"max_age": {"0"}})
		if got := e.auth.calls.Load() - before; got != 2 {
			t.Errorf("Authenticator called %d times for prompt=login and max_age=0, want 2", got)
		}
	})

	t.Run("unknown scopes and parameters are ignored", func(t *testing.T) {
		q := e.login(t, newBrowser(t), c, url.Values{"scope": {"openid frobnicate"}, "frob": {"1"}})
		status, body := e.exchange(t, c, true, q.Get("code"), "")
		if status != http.StatusOK || body["scope"] != "openid" {
			t.Errorf("exchange: %d %v, want scope openid", status, body)
		}
	})
}

func TestPublicClient(t *testing.T) {
	e := newEnv(t, newSQLite(t))
	c := e.addClient("spa", func(c *storage.Client) {
		c.Public, c.ApplicationType = true, "user_agent"
		c.RedirectURIs = []string{"https://" + rpHost + "/cb/spa"}
	})

	q := e.login(t, newBrowser(t), c, url.Values{"state": {"p1"}})
	if q.Get("error") != "invalid_request" || q.Get("state") != "p1" || q.Get("iss") != e.issuer {
		t.Errorf("public client without PKCE: %v, want invalid_request", q)
	}

	code, v := e.codeFor(t, c)
	status, body := e.exchange(t, c, false, code, "")
	wantOAuthError(t, "exchange without verifier", status, body, http.StatusBadRequest, "invalid_grant")
	if status, body := e.exchange(t, c, false, code, v); status != http.StatusOK || body["id_token"] == nil {
		t.Errorf("exchange with verifier: %d %v", status, body)
	}
}

func TestClientCredentials(t *testing.T) {
	e := newEnv(t, newSQLite(t))
	svc := e.addClient("svc", func(c *storage.Client) {
		c.GrantTypes = []string{grantClientCredentials}
		c.RedirectURIs, c.PostLogoutRedirectURIs = nil, nil
	})
	web := e.addClient("web", nil)

	status, tok := e.post(t, "/oauth/token", svc, true, url.Values{"grant_type": {"client_credentials"}})
	if status != http.StatusOK || tok["access_token"] == nil || tok["id_token"] != nil || tok["refresh_token"] != nil {
		t.Fatalf("client_credentials: %d %v", status, tok)
	}
	status, intro := e.post(t, "/oauth/introspect", svc, false, url.Values{"token": {tok["access_token"].(string)}})
	if status != http.StatusOK || intro["active"] != true || intro["sub"] != svc.ID {
		t.Errorf("introspect: %d %v", status, intro)
	}
	status, body := e.post(t, "/oauth/token", web, true, url.Values{"grant_type": {"client_credentials"}})
	wantOAuthError(t, "client without the grant", status, body, http.StatusBadRequest, "unauthorized_client")
}

func TestJWTAccessTokens(t *testing.T) {
	e := newEnv(t, newSQLite(t), func(c *Config) { c.SigningAlgorithm = "ES256" })
	c := e.addClient("jwt", func(c *storage.Client) { c.AccessTokenFormat = "jwt" })
	code, v := e.codeFor(t, c)
	status, tok := e.exchange(t, c, true, code, v)
	if status != http.StatusOK {
		t.Fatalf("exchange: %d %v", status, tok)
	}
	at, _ := tok["access_token"].(string)
	if strings.Count(at, ".") != 2 {
		t.Fatalf("access token %q is not a JWT", at)
	}
	if _, intro := e.post(t, "/oauth/introspect", c, true, url.Values{"token": {at}}); intro["active"] != true {
		t.Errorf("introspect JWT access token: %v", intro)
	}
	if status, _ := e.post(t, "/oauth/revoke", c, true, url.Values{"token": {at}, "token_type_hint": {"access_token"}}); status != http.StatusOK {
		t.Errorf("revoke: %d", status)
	}
	if _, intro := e.post(t, "/oauth/introspect", c, true, url.Values{"token": {at}}); intro["active"] != false {
		t.Errorf("revoked JWT access token still active: %v", intro)
	}
}

// TestEndSessionExpiredHint logs out with an expired id_token_hint in a
// browser without cookies: the hint's signature and issuer are enough.
func TestEndSessionExpiredHint(t *testing.T) {
	e := newEnv(t, newSQLite(t), func(c *Config) { c.IDTokenTTL, c.AccessTokenTTL = time.Second, time.Second })
	c := e.addClient("web", nil)
	q := e.login(t, newBrowser(t), c, nil)
	_, tok := e.exchange(t, c, true, q.Get("code"), "")
	hint, _ := tok["id_token"].(string)
	sid, _ := tok["session_state"].(string)
	time.Sleep(2100 * time.Millisecond) // let the ID token expire

	resp := visit(t, newBrowser(t), e.issuer+"/end_session?"+url.Values{
		"id_token_hint": {hint}, "post_logout_redirect_uri": {c.PostLogoutRedirectURIs[0]}, "state": {"s"},
	}.Encode())
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc.Host != rpHost || loc.Query().Get("state") != "s" {
		t.Errorf("end_session = %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, err := e.store.GetSession(t.Context(), sid, e.clock.Now()); err == nil {
		t.Error("session named by the hint's sid survived")
	}
}

// Every request is logged once with its ID, method, path, status and
// duration, never with its query string.
func TestRequestLogLine(t *testing.T) {
	var buf syncbuf.Buffer
	e := newEnv(t, newSQLite(t), func(c *Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&buf, nil))
	})
	req, err := http.NewRequest(http.MethodGet, e.issuer+"/authorize?client_id=nobody&code=query-secret-4711", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Request-Id", "req-log-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if strings.Contains(buf.String(), "query-secret-4711") {
		t.Fatalf("the log shows the query string:\n%s", buf.String())
	}
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if m["msg"] == "http request" {
			lines = append(lines, m)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("%d request lines, want 1:\n%s", len(lines), buf.String())
	}
	l := lines[0]
	if l["level"] != "INFO" || l["request_id"] != "req-log-1" || l["method"] != "GET" ||
		l["path"] != "/dingbridge/authorize" || l["status"] != float64(resp.StatusCode) {
		t.Errorf("request line %v; want INFO req-log-1 GET /dingbridge/authorize %d", l, resp.StatusCode)
	}
	if d, ok := l["duration"].(float64); !ok || d <= 0 {
		t.Errorf("duration %v, want a positive number", l["duration"])
	}
	if _, ok := l["time"].(string); !ok {
		t.Errorf("no time in %v", l)
	}
}
