package provider

import (
	"context"
	"net/http"

	"github.com/dingbridge/dingbridge/storage"
)

// sessionCookie names the cookie that carries the browser session ID,
// authenticated and encrypted with securecookie.
const sessionCookie = "dingbridge_session"

func (p *Provider) cookiePath() string {
	if p.issuerPath == "" {
		return "/"
	}
	return p.issuerPath
}

// sessionCookieFor returns the cookie that binds the browser to session id.
func (p *Provider) sessionCookieFor(s storage.Session) (*http.Cookie, error) {
	value, err := p.cookies.Encode(sessionCookie, s.ID)
	if err != nil {
		return nil, err
	}
	maxAge := int(s.ExpiresAt.Sub(p.now()).Seconds())
	if maxAge <= 0 {
		maxAge = -1
	}
	return &http.Cookie{
		Name:     sessionCookie,
		Value:    value,
		Path:     p.cookiePath(),
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   !p.cfg.Insecure,
		SameSite: http.SameSiteLaxMode,
	}, nil
}

// clearSessionCookie returns the cookie that deletes the session cookie.
func (p *Provider) clearSessionCookie() *http.Cookie {
	return &http.Cookie{
		Name:     sessionCookie,
		Value:    "",
		Path:     p.cookiePath(),
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   !p.cfg.Insecure,
		SameSite: http.SameSiteLaxMode,
	}
}

// sessionIDFromCookie decodes the session ID from the request's cookie.
func (p *Provider) sessionIDFromCookie(r *http.Request) (string, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return "", false
	}
	var id string
	if err := p.cookies.Decode(sessionCookie, c.Value, &id); err != nil || id == "" {
		return "", false
	}
	return id, true
}

// CurrentSession returns the live browser session named by the request's
// session cookie; false when there is none or it has ended or expired.
func (p *Provider) CurrentSession(r *http.Request) (storage.Session, bool) {
	return p.currentSession(r.Context(), r)
}

// currentSession loads the unexpired session the request's cookie names.
func (p *Provider) currentSession(ctx context.Context, r *http.Request) (storage.Session, bool) {
	id, ok := p.sessionIDFromCookie(r)
	if !ok {
		return storage.Session{}, false
	}
	s, err := p.store.GetSession(ctx, id, p.now())
	if err != nil {
		return storage.Session{}, false
	}
	return s, true
}
