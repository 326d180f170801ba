package provider

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/storage"
	"github.com/dingbridge/dingbridge/storage/postgres/postgrestest"
)

func TestAuthRequestHandle(t *testing.T) {
	e := newEnv(t, newSQLite(t))
	now := e.clock.Now().UTC().Truncate(time.Microsecond)
	maxAge := int64(60)
	r := storage.AuthRequest{
		ID: "req-1", ClientID: "web", RedirectURI: "https://rp.example/cb", Scopes: []string{"openid", "profile"},
		ResponseType: "code", ResponseMode: "form_post", State: strings.Repeat("s", 43), Nonce: strings.Repeat("n", 43),
		CodeChallenge: strings.Repeat("c", 43), CodeChallengeMethod: "S256", Prompt: []string{"login"}, MaxAge: &maxAge,
		LoginHint: "ada", IDTokenHintSubject: "sub-1", UILocales: []string{"zh-CN"}, ACRValues: []string{"mfa"},
		Params: map[string]string{"corp_id": "ding-corp-1"}, CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute),
	}
	h, err := e.p.holdAuthRequest(t.Context(), r)
	if err != nil || !h.Sealed || len(h.Handle) < minSealedHandle || len(h.Handle) > maxRequestHandle {
		t.Fatalf("holdAuthRequest = %d-character handle, sealed %v, %v", len(h.Handle), h.Sealed, err)
	}
	if _, err := e.store.GetAuthRequest(t.Context(), r.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("a sealed request was stored: %v", err)
	}
	got, err := e.p.openHandle(h.Handle)
	if err != nil || !reflect.DeepEqual(got.AuthRequest, r) || got.Handle != h.Handle {
		t.Errorf("openHandle =\n%+v, %v\nwant\n%+v", got.AuthRequest, err, r)
	}
	if id := e.p.AuthRequestLogID(h.Handle); id != r.ID {
		t.Errorf("AuthRequestLogID = %q, want %q", id, r.ID)
	}

	// Another deployment's keys, a changed character, and expiry.
	other := newEnv(t, newSQLite(t), func(c *Config) { c.CookieHashKey = bytes.Repeat([]byte{9}, 32) })
	if _, err := other.p.openHandle(h.Handle); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("handle opened under other keys: %v", err)
	}
	i := len(h.Handle) / 2
	flipped := h.Handle[:i] + string("AB"[boolIndex(h.Handle[i] == 'A')]) + h.Handle[i+1:]
	if _, err := e.p.openHandle(flipped); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("altered handle opened: %v", err)
	}
	e.clock.Advance(10*time.Minute + time.Second)
	if _, err := e.p.openHandle(h.Handle); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("expired handle opened: %v", err)
	}
	if resp := visit(t, newBrowser(t), e.issuer+"/login?authRequestID="+url.QueryEscape(h.Handle)); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("login with an expired handle: status %d, want 400", resp.StatusCode)
	}
}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestSealedRequestEndsOnce: the authorization endpoint stores nothing,
// the login inserts the request completed, and from then on the stored row
// answers for the handle: the login cannot be completed a second time.
func TestSealedRequestEndsOnce(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b.open(t))
			c := e.addClient("web", nil)
			e.store.reset()
			browser := newBrowser(t)
			q := e.login(t, browser, c, url.Values{"state": {"st-1"}})
			if q.Get("code") == "" || q.Get("state") != "st-1" {
				t.Fatalf("login: %v", q)
			}
			if w := e.store.reset(); !slices.Equal(w, []string{"CompleteLogin"}) {
				t.Errorf("writes of a login = %v, want [CompleteLogin]", w)
			}
			handle := e.auth.last.Load().AuthRequestID
			if len(handle) < minSealedHandle {
				t.Fatalf("the login got the stored ID %q, want a sealed handle", handle)
			}
			stored, err := e.store.GetAuthRequest(t.Context(), e.p.AuthRequestLogID(handle))
			if err != nil || !stored.Done || stored.State != "st-1" || stored.ClientID != c.ID || stored.CodeHash == nil {
				t.Fatalf("stored after the login: %+v, %v", stored, err)
			}
			// The same browser (single sign-on) and another one cannot
			// complete it again, before the code is redeemed or after.
			calls := e.auth.calls.Load()
			cannotComplete := func(when string) {
				t.Helper()
				for _, br := range []*http.Client{browser, newBrowser(t)} {
					resp := visit(t, br, e.issuer+"/login?authRequestID="+url.QueryEscape(handle))
					if resp.StatusCode != http.StatusBadRequest || resp.Request.URL.Host == rpHost {
						t.Errorf("second completion %s: status %d at %s, want the 400 expired page", when, resp.StatusCode, resp.Request.URL)
					}
				}
				if e.auth.calls.Load() != calls {
					t.Errorf("the login step ran again for a completed request (%s)", when)
				}
			}
			cannotComplete("before the code is redeemed")
			if status, body := e.exchange(t, c, true, q.Get("code"), ""); status != http.StatusOK {
				t.Fatalf("exchange: %d %v", status, body)
			}
			cannotComplete("after the code is redeemed")
			stored, err = e.store.GetAuthRequest(t.Context(), stored.ID)
			if err != nil || !stored.Done {
				t.Fatalf("stored after the redemption: %+v, %v", stored, err)
			}
			rec := httptest.NewRecorder()
			e.p.FinishLogin(rec, httptest.NewRequest(http.MethodGet, e.issuer+"/login/x", nil),
				Finish{AuthRequestID: handle, Identity: &e.auth.identity, AMR: []string{"qr"}})
			if rec.Code != http.StatusBadRequest || rec.Header().Get("Location") != "" {
				t.Errorf("FinishLogin of a completed handle: %d to %q, want the 400 expired page", rec.Code, rec.Header().Get("Location"))
			}
			again, err := e.store.GetAuthRequest(t.Context(), stored.ID)
			if err != nil || !bytes.Equal(again.CodeHash, stored.CodeHash) || again.SessionID != stored.SessionID {
				t.Errorf("the completed request changed: %+v, %v", again, err)
			}
		})
	}
}

// TestLongAuthRequestStored: a request too long to seal is stored at the
// authorization endpoint and goes by its ID, as before.
func TestLongAuthRequestStored(t *testing.T) {
	e := newEnv(t, newSQLite(t))
	c := e.addClient("web", nil)
	e.store.reset()
	state := strings.Repeat("x", 1500)
	q := e.login(t, newBrowser(t), c, url.Values{"state": {state}})
	if q.Get("code") == "" || q.Get("state") != state {
		t.Fatalf("login with a long state: %v", q)
	}
	if w := e.store.reset(); !slices.Equal(w, []string{"CreateAuthRequest", "CompleteLogin"}) {
		t.Errorf("writes = %v, want [CreateAuthRequest CompleteLogin]", w)
	}
	if id := e.auth.last.Load().AuthRequestID; len(id) >= minSealedHandle {
		t.Errorf("long request went by a %d-character handle, want its ID", len(id))
	}
}

// TestSealedRequestAcrossReplicas: a login started at one replica
// completes at another that shares the cookie keys and the database.
func TestSealedRequestAcrossReplicas(t *testing.T) {
	s := postgrestest.New(t)
	one := newEnv(t, s)
	two := newEnv(t, s)
	c := one.addClient("web", nil)
	fa := &flowAuth{identity: one.auth.identity, hold: true}
	fa.p.Store(one.p)
	one.p.SetAuthenticator(fa)
	browser := newBrowser(t)
	if resp := visit(t, browser, one.authorizeURL(c, url.Values{"state": {"x1"}})); resp.StatusCode != http.StatusOK {
		t.Fatalf("authorize at replica 1: %d", resp.StatusCode)
	}
	handle := fa.last.Load().AuthRequestID
	q := rpRedirect(t, visit(t, browser, two.issuer+"/login?authRequestID="+url.QueryEscape(handle)))
	if q.Get("code") == "" || q.Get("state") != "x1" {
		t.Fatalf("completion at replica 2: %v", q)
	}
}

// TestInnerIDIsNoHandle: the ID inside a sealed handle, which log lines
// show, neither continues, cancels nor completes the pending request.
func TestInnerIDIsNoHandle(t *testing.T) {
	e, a := newFlowEnv(t, newSQLite(t))
	a.hold = true
	c := e.addClient("web", nil)
	browser := newBrowser(t)
	if resp := visit(t, browser, e.authorizeURL(c, url.Values{"state": {"s"}})); resp.StatusCode != http.StatusOK {
		t.Fatalf("authorize: %d", resp.StatusCode)
	}
	handle := a.last.Load().AuthRequestID
	id := e.p.AuthRequestLogID(handle)
	if id == "" || len(id) >= minSealedHandle {
		t.Fatalf("AuthRequestLogID = %q", id)
	}
	for _, path := range []string{"/login?authRequestID=", "/login/cancel?authRequestID="} {
		resp := visit(t, browser, e.issuer+path+url.QueryEscape(id))
		if resp.StatusCode != http.StatusBadRequest || resp.Request.URL.Host == rpHost {
			t.Errorf("%s with the inner ID: %d at %s, want the 400 expired page", path, resp.StatusCode, resp.Request.URL)
		}
	}
	rec := httptest.NewRecorder()
	e.p.FinishLogin(rec, httptest.NewRequest(http.MethodGet, e.issuer+"/login/x", nil),
		Finish{AuthRequestID: id, Identity: &e.auth.identity, AMR: []string{"qr"}})
	if rec.Code != http.StatusBadRequest {
		t.Errorf("FinishLogin with the inner ID: %d, want 400", rec.Code)
	}
	// The handle itself still completes the request.
	a.hold = false
	q := rpRedirect(t, visit(t, browser, e.issuer+"/login?authRequestID="+url.QueryEscape(handle)))
	if q.Get("code") == "" || q.Get("state") != "s" {
		t.Errorf("the handle after the attempts with its ID: %v", q)
	}
}
