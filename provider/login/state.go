package login

import (
	"cmp"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/dingbridge/dingbridge/internal/binfmt"
	"github.com/dingbridge/dingbridge/templates"
)

// stateTTL is how long a state (and its cookie) lives: long enough to scan
// a QR code and confirm on the phone.
const stateTTL = 10 * time.Minute

// stateCookiePrefix starts every state cookie's name; a short hash of the
// state follows, so parallel logins in several tabs keep their own cookies.
const stateCookiePrefix = "dbstate_"

// Flows a state is minted for; a callback accepts only its own.
const (
	flowQR        = "qr"        // QR page: new OAuth2 callback or legacy qrconnect
	flowSNS       = "sns"       // in-client sns_authorize
	flowWorkspace = "workspace" // JSAPI code posted by the workspace page
	flowCorp      = "corp"      // corp chooser
)

// loginState is what a state cookie binds the browser's state to.
type loginState struct {
	State string
	Flow  string
	// AuthRequestID is the authorization request the login completes;
	// empty for the workspace entry, which names EntryClientID instead.
	// The cookie carries it beside the sealed state rather than inside
	// (a handle is sealed already, and long), bound by HandleSum.
	AuthRequestID string `json:",omitempty"`
	// HandleSum is the SHA-256 of AuthRequestID when the cookie carries
	// it outside the sealed state.
	HandleSum     []byte `json:",omitempty"`
	EntryClientID string
	// ClientID is the client the login is for (policy, page title).
	ClientID string
	CorpID   string
	// AppID is the DingTalk app the code will be issued to (appKey,
	// suiteKey or login app id).
	AppID string
	// LoginAppID is the legacy login app of the QR page's classic link.
	LoginAppID string
	Silent     bool
	Lang       templates.Lang
	Expires    int64
	// Minted orders a browser's states (Unix nanoseconds).
	Minted int64
}

// loginStateFormat is the version byte of a state's binary form; a state
// cookie of another format does not open.
const loginStateFormat = 1

// AppendBinary appends the state's binary form (internal/binfmt).
func (s loginState) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, loginStateFormat)
	for _, f := range []string{s.State, s.Flow, s.AuthRequestID} {
		b = binfmt.AppendString(b, f)
	}
	b = binfmt.AppendBytes(b, s.HandleSum)
	for _, f := range []string{s.EntryClientID, s.ClientID, s.CorpID, s.AppID, s.LoginAppID} {
		b = binfmt.AppendString(b, f)
	}
	b = binfmt.AppendBool(b, s.Silent)
	b = binfmt.AppendString(b, string(s.Lang))
	b = binfmt.AppendInt(b, s.Expires)
	return binfmt.AppendInt(b, s.Minted), nil
}

// UnmarshalBinary reads what AppendBinary wrote.
func (s *loginState) UnmarshalBinary(b []byte) error {
	r := binfmt.NewReader(b)
	if r.Byte() != loginStateFormat {
		return errors.New("login state: unknown format")
	}
	*s = loginState{State: r.String(), Flow: r.String(), AuthRequestID: r.String(), HandleSum: r.Bytes(),
		EntryClientID: r.String(), ClientID: r.String(), CorpID: r.String(), AppID: r.String(),
		LoginAppID: r.String(), Silent: r.Bool(), Lang: templates.Lang(r.String()), Expires: r.Int(), Minted: r.Int()}
	return r.Err()
}

// entry reports a login started at the workspace entry, which has no
// authorization request.
func (s *loginState) entry() bool { return s.AuthRequestID == "" }

// errState is a missing, foreign, expired or wrong-flow state.
var errState = errors.New("login state is missing, foreign or expired")

func newState() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func stateCookieName(state string) string {
	sum := sha256.Sum256([]byte(state))
	return stateCookiePrefix + hex.EncodeToString(sum[:6])
}

// maxStateCookies bounds the state cookies a browser holds at once. A
// state cookie carries its authorization request's sealed handle (about
// 0.7 KiB with it, at most about 1.5 KiB), and proxies commonly refuse a
// Cookie header over 8 KiB;
// a browser that shows a login page while holding as many drops its
// oldest state, whose page then offers to start again.
const maxStateCookies = 3

// mintState makes a state for s, sets its cookie and returns the state.
// The browser's oldest state cookies are cleared so that it keeps at most
// maxStateCookies.
func (l *Login) mintState(w http.ResponseWriter, r *http.Request, s loginState) (string, error) {
	l.pruneStates(w, r)
	now := l.now()
	s.State = newState()
	s.Expires, s.Minted = now.Add(stateTTL).Unix(), now.UnixNano()
	name := stateCookieName(s.State)
	handle := s.AuthRequestID
	if handle != "" {
		sum := sha256.Sum256([]byte(handle))
		s.AuthRequestID, s.HandleSum = "", sum[:]
	}
	v, err := l.cookies.Encode(name, s)
	if err != nil {
		return "", fmt.Errorf("encode state cookie: %w", err)
	}
	if handle != "" {
		v += handleSeparator + handle
	}
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: v, Path: l.cookiePath, MaxAge: int(stateTTL.Seconds()),
		HttpOnly: true, Secure: !l.cfg.Insecure, SameSite: http.SameSiteLaxMode,
	})
	return s.State, nil
}

// takeState verifies the request's state against its cookie, clears the
// cookie (single use) and returns what it bound. flows lists the flows the
// caller accepts.
func (l *Login) takeState(w http.ResponseWriter, r *http.Request, state string, flows ...string) (loginState, error) {
	if state == "" || len(state) > 128 {
		return loginState{}, fmt.Errorf("%w: no state", errState)
	}
	name := stateCookieName(state)
	c, err := r.Cookie(name)
	if err != nil {
		return loginState{}, fmt.Errorf("%w: no cookie", errState)
	}
	l.clearState(w, name)
	s, err := l.openState(name, c.Value)
	if err != nil {
		return loginState{}, err
	}
	if subtle.ConstantTimeCompare([]byte(s.State), []byte(state)) != 1 {
		return loginState{}, fmt.Errorf("%w: mismatch", errState)
	}
	if l.now().Unix() > s.Expires {
		return loginState{}, fmt.Errorf("%w: expired", errState)
	}
	for _, f := range flows {
		if s.Flow == f {
			return s, nil
		}
	}
	return loginState{}, fmt.Errorf("%w: flow %q", errState, s.Flow)
}

// pruneStates clears the state cookies of r beyond the newest
// maxStateCookies-1 (a cookie that does not decode counts as oldest), to
// make room for one more.
func (l *Login) pruneStates(w http.ResponseWriter, r *http.Request) {
	type held struct {
		name   string
		minted int64
	}
	var cookies []*http.Cookie
	for _, c := range r.Cookies() {
		if strings.HasPrefix(c.Name, stateCookiePrefix) {
			cookies = append(cookies, c)
		}
	}
	if len(cookies) < maxStateCookies {
		return
	}
	states := make([]held, len(cookies))
	for i, c := range cookies {
		states[i] = held{name: c.Name, minted: -1}
		if s, err := l.openState(c.Name, c.Value); err == nil {
			states[i].minted = s.Minted
		}
	}
	slices.SortFunc(states, func(a, b held) int { return cmp.Compare(b.minted, a.minted) })
	for _, h := range states[maxStateCookies-1:] {
		l.clearState(w, h.name)
	}
}

// clearState tells the browser to drop the state cookie name.
func (l *Login) clearState(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: "", Path: l.cookiePath, MaxAge: -1,
		HttpOnly: true, Secure: !l.cfg.Insecure, SameSite: http.SameSiteLaxMode,
	})
}

// handleSeparator separates a state cookie's sealed state from the
// handle it carries; no sealed value contains it.
const handleSeparator = "."

// openState decodes the value of the state cookie name: the sealed state
// and, after handleSeparator, the authorization request's handle, which
// must be the one the state names by its digest.
func (l *Login) openState(name, value string) (loginState, error) {
	sealed, handle, outside := strings.Cut(value, handleSeparator)
	var s loginState
	if err := l.cookies.Decode(name, sealed, &s); err != nil {
		return loginState{}, fmt.Errorf("%w: undecodable cookie", errState)
	}
	if outside || s.HandleSum != nil {
		sum := sha256.Sum256([]byte(handle))
		if subtle.ConstantTimeCompare(sum[:], s.HandleSum) != 1 {
			return loginState{}, fmt.Errorf("%w: handle does not match", errState)
		}
		s.AuthRequestID, s.HandleSum = handle, nil
	}
	return s, nil
}
