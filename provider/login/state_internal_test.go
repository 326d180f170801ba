package login

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/securecookie"

	"github.com/dingbridge/dingbridge/internal/binfmt/binfmttest"
	"github.com/dingbridge/dingbridge/provider"
	"github.com/dingbridge/dingbridge/templates"
)

func stateLogin() *Login {
	return &Login{
		cfg:        Config{Insecure: true},
		cookies:    provider.NewCookieCodec(bytes.Repeat([]byte{2}, 32), bytes.Repeat([]byte{3}, 32), 0),
		cookiePath: "/",
		now:        time.Now,
	}
}

// mint returns the state minted for s and its cookie.
func mint(t *testing.T, l *Login, s loginState) (string, *http.Cookie) {
	t.Helper()
	rec := httptest.NewRecorder()
	state, err := l.mintState(rec, httptest.NewRequest(http.MethodGet, "/", nil), s)
	if err != nil {
		t.Fatal(err)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("mintState set %d cookies", len(cookies))
	}
	return state, cookies[0]
}

func take(l *Login, state string, c *http.Cookie) (loginState, error) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(c)
	return l.takeState(httptest.NewRecorder(), r, state, flowQR)
}

// TestStateCarriesHandle: the request's handle rides beside the sealed
// state, bound to it by its digest, and comes back whole; a changed or
// swapped handle is refused.
func TestStateCarriesHandle(t *testing.T) {
	l := stateLogin()
	handle := strings.Repeat("h", 900) + "-end"
	state, c := mint(t, l, loginState{Flow: flowQR, AuthRequestID: handle, ClientID: "web"})
	if len(c.Value) > len(handle)+700 {
		t.Errorf("state cookie of %d bytes for a %d-byte handle: the handle is sealed again", len(c.Value), len(handle))
	}
	s, err := take(l, state, c)
	if err != nil || s.AuthRequestID != handle || s.ClientID != "web" || s.HandleSum != nil {
		t.Fatalf("takeState = %+v, %v", s, err)
	}

	changed := *c
	changed.Value = c.Value[:len(c.Value)-1] + "X"
	if _, err := take(l, state, &changed); !errors.Is(err, errState) {
		t.Errorf("changed handle: %v, want errState", err)
	}
	otherState, other := mint(t, l, loginState{Flow: flowQR, AuthRequestID: "another-handle"})
	sealed, _, _ := strings.Cut(other.Value, handleSeparator)
	_, ownHandle, _ := strings.Cut(c.Value, handleSeparator)
	swapped := *other
	swapped.Value = sealed + handleSeparator + ownHandle
	if _, err := take(l, otherState, &swapped); !errors.Is(err, errState) {
		t.Errorf("handle moved to another state: %v, want errState", err)
	}
	stripped := *other
	stripped.Value = sealed
	if _, err := take(l, otherState, &stripped); !errors.Is(err, errState) {
		t.Errorf("handle removed: %v, want errState", err)
	}

	// A state without a request (the workspace entry) has no handle, and
	// a cookie with the handle inside, as earlier versions set them, is
	// still read.
	entryState, entry := mint(t, l, loginState{Flow: flowQR, EntryClientID: "web"})
	if strings.Contains(entry.Value, handleSeparator) {
		t.Errorf("entry state cookie carries a handle: %q", entry.Value)
	}
	if s, err := take(l, entryState, entry); err != nil || !s.entry() {
		t.Errorf("entry state = %+v, %v", s, err)
	}
	old := loginState{State: "old-state", Flow: flowQR, AuthRequestID: "stored-id", Expires: time.Now().Add(time.Minute).Unix()}
	v, err := l.cookies.Encode(stateCookieName(old.State), old)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := take(l, old.State, &http.Cookie{Name: stateCookieName(old.State), Value: v}); err != nil || s.AuthRequestID != "stored-id" {
		t.Errorf("earlier cookie = %+v, %v", s, err)
	}
}

// TestStateBinaryForm: every field of a state survives its binary form,
// a cut or unknown form does not open, and a state cookie that
// securecookie sealed as JSON, as the previous release set it, is still
// read.
func TestStateBinaryForm(t *testing.T) {
	binfmttest.CheckForm[loginState](t)

	l := stateLogin()
	prev := loginState{State: "prev-state", Flow: flowQR, ClientID: "web", Lang: templates.EN, Expires: time.Now().Add(time.Minute).Unix()}
	name := stateCookieName(prev.State)
	v, err := securecookie.New(bytes.Repeat([]byte{2}, 32), bytes.Repeat([]byte{3}, 32)).
		SetSerializer(securecookie.JSONEncoder{}).Encode(name, prev)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := take(l, prev.State, &http.Cookie{Name: name, Value: v}); err != nil || !reflect.DeepEqual(s, prev) {
		t.Errorf("previous release's cookie = %+v, %v", s, err)
	}
}
