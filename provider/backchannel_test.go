package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/dingbridge/dingbridge/storage"
)

// receiver is a relying party's back-channel logout endpoint; the status
// it answers is chosen per path.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	tokens map[string][]string // path → logout tokens received
	status map[string]int
}

func newReceiver(t *testing.T, status map[string]int) *receiver {
	rc := &receiver{tokens: map[string][]string{}, status: status}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			http.Error(w, "want a form POST", http.StatusMethodNotAllowed)
			return
		}
		tok := r.PostFormValue("logout_token")
		rc.mu.Lock()
		rc.tokens[r.URL.Path] = append(rc.tokens[r.URL.Path], tok)
		rc.mu.Unlock()
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(rc.status[r.URL.Path])
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) received(path string) []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.tokens[path])
}

// waitFor waits until every want line appears in the log, failing the
// test after a generous deadline.
func waitFor(t *testing.T, logs *sharedLog, want ...string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		text := logs.text()
		missing := ""
		for _, w := range want {
			if !strings.Contains(text, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		select {
		case <-logs.changed:
		case <-deadline:
			t.Fatalf("log never showed %q; log:\n%s", missing, text)
		}
	}
}

// sharedLog collects the records of a logger and of every logger derived
// from it with With.
type sharedLog struct {
	mu      sync.Mutex
	lines   []string
	changed chan struct{}
}

func (l *sharedLog) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

type sharedHandler struct {
	log   *sharedLog
	attrs []slog.Attr
}

func newSharedLogger() (*slog.Logger, *sharedLog) {
	l := &sharedLog{changed: make(chan struct{}, 1)}
	return slog.New(&sharedHandler{log: l}), l
}

func (h *sharedHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *sharedHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	for _, a := range h.attrs {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
	}
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	h.log.mu.Lock()
	h.log.lines = append(h.log.lines, b.String())
	h.log.mu.Unlock()
	select {
	case h.log.changed <- struct{}{}:
	default:
	}
	return nil
}

func (h *sharedHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &sharedHandler{log: h.log, attrs: append(slices.Clone(h.attrs), attrs...)}
}

func (h *sharedHandler) WithGroup(string) slog.Handler { return h }

// logoutClaims is a decoded logout token.
type logoutClaims struct {
	Issuer   string                     `json:"iss"`
	Subject  string                     `json:"sub"`
	Audience []string                   `json:"aud"`
	IssuedAt int64                      `json:"iat"`
	Expiry   int64                      `json:"exp"`
	JTI      string                     `json:"jti"`
	SID      string                     `json:"sid"`
	Nonce    *string                    `json:"nonce"`
	Events   map[string]json.RawMessage `json:"events"`
}

// verifyLogoutToken checks a logout token as a relying party does:
// signature against the provider's JWKS (go-oidc), issuer, audience,
// typ header, and the back-channel logout event; it returns the claims.
func verifyLogoutToken(t *testing.T, p *oidc.Provider, clientID, raw string) logoutClaims {
	t.Helper()
	// Logout tokens carry no nonce and expire quickly; go-oidc's ID token
	// verifier checks signature, iss, aud and exp, which is what §2.6 asks.
	tok, err := p.Verifier(&oidc.Config{ClientID: clientID}).Verify(t.Context(), raw)
	if err != nil {
		t.Fatalf("verify logout token for %s: %v", clientID, err)
	}
	var c logoutClaims
	if err := tok.Claims(&c); err != nil {
		t.Fatal(err)
	}
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	h := jws.Signatures[0].Header
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "logout+jwt" || h.KeyID == "" {
		t.Errorf("logout token header typ=%q kid=%q, want logout+jwt and a kid", typ, h.KeyID)
	}
	if ev, ok := c.Events["http://schemas.openid.net/event/backchannel-logout"]; !ok || string(ev) != "{}" || len(c.Events) != 1 {
		t.Errorf("events = %v, want only the back-channel logout event with {}", c.Events)
	}
	if c.Nonce != nil {
		t.Errorf("logout token has a nonce")
	}
	if c.JTI == "" || c.IssuedAt == 0 || c.Expiry <= c.IssuedAt || c.Expiry-c.IssuedAt > 300 {
		t.Errorf("jti/iat/exp = %q/%d/%d, want a jti and a short lifetime", c.JTI, c.IssuedAt, c.Expiry)
	}
	if !slices.Equal(c.Audience, []string{clientID}) {
		t.Errorf("aud = %v, want [%s]", c.Audience, clientID)
	}
	return c
}

// TestBackchannelLogout logs one browser into four clients, ends the
// session, and checks what each client's back-channel endpoint receives:
// a verifiable logout token naming the session, retries for a failing
// endpoint, no retry for one that refuses, nothing without a URI.
func TestBackchannelLogout(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { testBackchannelLogout(t, b.open(t)) })
	}
}

func testBackchannelLogout(t *testing.T, s storage.Storage) {
	logger, logs := newSharedLogger()
	const attempts = 3
	e := newEnv(t, s, func(c *Config) {
		c.Logger = logger
		c.BackchannelAttempts = attempts
		c.BackchannelBackoff = 10 * time.Millisecond
	})
	rc := newReceiver(t, map[string]int{"/bc/ok": http.StatusOK, "/bc/down": http.StatusServiceUnavailable, "/bc/refuses": http.StatusBadRequest})
	ok := e.addClient("ok", func(c *storage.Client) { c.BackchannelLogoutURI = rc.srv.URL + "/bc/ok" })
	down := e.addClient("down", func(c *storage.Client) { c.BackchannelLogoutURI = rc.srv.URL + "/bc/down" })
	refuses := e.addClient("refuses", func(c *storage.Client) { c.BackchannelLogoutURI = rc.srv.URL + "/bc/refuses" })
	silent := e.addClient("silent", nil)
	// A client with a URI that logged in but redeemed no code is not told.
	unredeemed := e.addClient("unredeemed", func(c *storage.Client) { c.BackchannelLogoutURI = rc.srv.URL + "/bc/ok" })

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { e.p.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	browser := newBrowser(t)
	idTokens := map[string]map[string]any{}
	for _, c := range []testClient{ok, down, refuses, silent} {
		q := e.login(t, browser, c, nil)
		status, tok := e.exchange(t, c, true, q.Get("code"), "")
		if status != http.StatusOK {
			t.Fatalf("exchange for %s: %d %v", c.ID, status, tok)
		}
		idTokens[c.ID] = tok
	}
	if q := e.login(t, browser, unredeemed, nil); q.Get("code") == "" {
		t.Fatal("no code for unredeemed")
	}
	hint, _ := idTokens["ok"]["id_token"].(string)
	var idClaims struct {
		Subject string `json:"sub"`
		SID     string `json:"sid"`
	}
	decodeJWTPayload(t, hint, &idClaims)
	if idClaims.SID == "" {
		t.Fatal("ID token has no sid")
	}
	for id, tok := range idTokens {
		if tok["session_state"] != idClaims.SID {
			t.Fatalf("client %s got session %v, want the browser's one session %s", id, tok["session_state"], idClaims.SID)
		}
	}

	// The session remembers the clients that will be told of its end,
	// not the one without a back-channel logout URI.
	links, err := s.ListSessionClients(t.Context(), idClaims.SID)
	if err != nil {
		t.Fatalf("ListSessionClients: %v", err)
	}
	var linked []string
	for _, l := range links {
		linked = append(linked, l.ClientID)
	}
	if want := []string{"down", "ok", "refuses"}; !slices.Equal(linked, want) {
		t.Errorf("session linked to %v, want %v", linked, want)
	}

	resp := visit(t, browser, e.issuer+"/end_session?"+url.Values{
		"id_token_hint": {hint}, "post_logout_redirect_uri": {ok.PostLogoutRedirectURIs[0]}, "state": {"bye"},
	}.Encode())
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("end_session = %d, want a redirect", resp.StatusCode)
	}
	waitFor(t, logs,
		"back-channel logout delivered client_id=ok attempt=1",
		fmt.Sprintf("back-channel logout failed client_id=down attempt=%d", attempts),
		"back-channel logout failed client_id=refuses attempt=1")

	provider, err := oidc.NewProvider(oidc.ClientContext(t.Context(), http.DefaultClient), e.issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	var meta struct {
		Supported        bool `json:"backchannel_logout_supported"`
		SessionSupported bool `json:"backchannel_logout_session_supported"`
	}
	if err := provider.Claims(&meta); err != nil || !meta.Supported || !meta.SessionSupported {
		t.Errorf("discovery back-channel flags = %+v (%v), want both true", meta, err)
	}

	got := map[string][]string{"ok": rc.received("/bc/ok"), "down": rc.received("/bc/down"), "refuses": rc.received("/bc/refuses")}
	for id, want := range map[string]int{"ok": 1, "down": attempts, "refuses": 1} {
		if len(got[id]) != want {
			t.Errorf("%s received %d logout tokens, want %d", id, len(got[id]), want)
		}
	}
	var jtis []string
	for id, tokens := range got {
		for _, raw := range tokens {
			c := verifyLogoutToken(t, provider, id, raw)
			if c.SID != idClaims.SID || c.Subject != idClaims.Subject || c.Issuer != e.issuer {
				t.Errorf("%s: logout token sid/sub/iss = %q/%q/%q, want %q/%q/%q", id, c.SID, c.Subject, c.Issuer, idClaims.SID, idClaims.Subject, e.issuer)
			}
			if id == "down" {
				jtis = append(jtis, c.JTI)
			}
			if strings.Contains(logs.text(), raw) {
				t.Errorf("%s: the log contains a logout token", id)
			}
		}
	}
	if len(jtis) == attempts && (jtis[0] != jtis[1] || jtis[1] != jtis[2]) {
		t.Errorf("retries carry jti %v, want one jti for one logout", jtis)
	}
}

// TestBackchannelQueue checks, without delivery workers, what ending a
// session queues: one delivery per client issued tokens in that session,
// nothing for a session that has already ended, and a full queue drops
// instead of blocking.
func TestBackchannelQueue(t *testing.T) {
	e := newEnv(t, newSQLite(t), func(c *Config) { c.BackchannelQueueSize = 2 })
	uri := func(c *storage.Client) { c.BackchannelLogoutURI = "http://127.0.0.1:9/bc/" + c.ID }
	one, two, three := e.addClient("one", uri), e.addClient("two", uri), e.addClient("three", uri)

	first, second := newBrowser(t), newBrowser(t)
	var hint, sid string
	for _, c := range []testClient{one, two} {
		_, tok := e.exchange(t, c, false, e.login(t, first, c, nil).Get("code"), "")
		hint, _ = tok["id_token"].(string)
		sid, _ = tok["session_state"].(string)
	}
	_, tok := e.exchange(t, one, false, e.login(t, second, one, nil).Get("code"), "")
	otherSID, _ := tok["session_state"].(string)
	if sid == "" || otherSID == "" || sid == otherSID {
		t.Fatalf("sessions %q and %q, want two distinct ones", sid, otherSID)
	}

	endSession := func(b *http.Client) {
		t.Helper()
		resp := visit(t, b, e.issuer+"/end_session?"+url.Values{"id_token_hint": {hint}}.Encode())
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("end_session = %d, want the signed-out page", resp.StatusCode)
		}
	}
	endSession(first)
	if n := len(e.p.backchannel.queue); n != 2 {
		t.Fatalf("queued %d deliveries, want 2 (one, two)", n)
	}
	var clients []string
	for range 2 {
		d := <-e.p.backchannel.queue
		if d.sessionID != sid || d.subject == "" || d.jti == "" || d.uri != "http://127.0.0.1:9/bc/"+d.clientID {
			t.Errorf("delivery = %+v, want session %s", d, sid)
		}
		clients = append(clients, d.clientID)
	}
	slices.Sort(clients)
	if !slices.Equal(clients, []string{"one", "two"}) {
		t.Errorf("deliveries for %v, want one and two", clients)
	}

	// The same hint again ends nothing: nothing more is announced.
	endSession(newBrowser(t))
	if n := len(e.p.backchannel.queue); n != 0 {
		t.Errorf("a second logout queued %d deliveries, want 0", n)
	}
	if _, err := e.store.GetSession(t.Context(), otherSID, e.clock.Now()); err != nil {
		t.Errorf("the other browser's session ended too: %v", err)
	}

	// Three clients in one session, a queue of two: one is dropped.
	b := newBrowser(t)
	for _, c := range []testClient{one, two, three} {
		_, tok = e.exchange(t, c, false, e.login(t, b, c, nil).Get("code"), "")
	}
	hint, _ = tok["id_token"].(string)
	endSession(b)
	if n, dropped := len(e.p.backchannel.queue), e.p.backchannel.dropped.Load(); n != 2 || dropped != 1 {
		t.Errorf("queued %d and dropped %d, want 2 and 1", n, dropped)
	}
}
