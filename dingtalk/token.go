package dingtalk

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// ErrTokenNotFound is what TokenStore.GetToken returns (possibly wrapped)
// when no token is stored under the key.
var ErrTokenNotFound = errors.New("dingtalk: token not found")

// TokenStore shares cached access tokens between Clients and replicas, so a
// fleet fetches each token once per lifetime (DingTalk throttles token
// endpoints).
//
// Keys name the token without secrets: "dingtalk:app:v1:<appKey>",
// "dingtalk:app:gettoken:<appKey>", "dingtalk:app:unified:<clientID>:<corpID>",
// "dingtalk:suite:v1:<suiteKey>", "dingtalk:suite:legacy:<suiteKey>",
// "dingtalk:corp:v1:<suiteKey>:<corpID>", "dingtalk:corp:legacy:<suiteKey>:<corpID>",
// "dingtalk:sso:v1:<corpID>", "dingtalk:sso:legacy:<corpID>".
// The token values are bearer credentials: store them accordingly.
type TokenStore interface {
	// GetToken returns the token stored under key and the time after which
	// it must not be used. It returns ErrTokenNotFound when there is none.
	GetToken(ctx context.Context, key string) (token string, expiresAt time.Time, err error)
	// PutToken stores (or replaces) the token under key. expiresAt is
	// already shortened by the refresh margin; the row may be deleted
	// after it.
	PutToken(ctx context.Context, key, token string, expiresAt time.Time) error
	// DeleteToken removes the token under key; a missing key is not an
	// error.
	DeleteToken(ctx context.Context, key string) error
}

// defaultTokenLifetime is assumed when DingTalk states no lifetime (E13
// legacy SSO token, or a reply without expires_in).
const defaultTokenLifetime = 7200 * time.Second

type cachedToken struct {
	token     string
	expiresAt time.Time // use-by time, margin already applied
}

// tokenCache is the per-Client cache in front of the optional TokenStore.
type tokenCache struct {
	store TokenStore
	group singleflight.Group // one fetch at a time per key

	// mu guards tokens.
	mu     sync.Mutex
	tokens map[string]cachedToken
}

// tokenSource fetches and caches one token.
type tokenSource struct {
	c     *Client
	key   string
	fetch func(ctx context.Context) (token string, lifetime time.Duration, err error)
}

// token returns a cached token that is still usable, or fetches one.
// Concurrent callers for the same key share one fetch.
func (s *tokenSource) token(ctx context.Context) (string, error) {
	if t, ok := s.local(); ok {
		return t, nil
	}
	ch := s.c.tokens.group.DoChan(s.key, func() (any, error) {
		// Detached from the first caller so that its cancellation does
		// not fail the others; bounded by the retry budget.
		budget := time.Duration(s.c.retry.Attempts)*(s.c.timeout+s.c.retry.MaxDelay) + time.Second
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), budget)
		defer cancel()
		return s.load(fctx)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (s *tokenSource) local() (string, bool) {
	tc := s.c.tokens
	tc.mu.Lock()
	defer tc.mu.Unlock()
	t, ok := tc.tokens[s.key]
	if ok && s.c.now().Before(t.expiresAt) {
		return t.token, true
	}
	return "", false
}

func (s *tokenSource) setLocal(t cachedToken) {
	tc := s.c.tokens
	tc.mu.Lock()
	tc.tokens[s.key] = t
	tc.mu.Unlock()
}

func (s *tokenSource) load(ctx context.Context) (string, error) {
	if t, ok := s.local(); ok {
		return t, nil
	}
	store := s.c.tokens.store
	if store != nil {
		tok, exp, err := store.GetToken(ctx, s.key)
		switch {
		case err == nil && tok != "" && s.c.now().Before(exp):
			s.setLocal(cachedToken{token: tok, expiresAt: exp})
			return tok, nil
		case err != nil && !errors.Is(err, ErrTokenNotFound):
			s.c.log.WarnContext(ctx, "dingtalk: token store get", "key", s.key, "err", err)
		}
	}
	tok, lifetime, err := s.fetch(ctx)
	if err != nil {
		return "", err
	}
	if lifetime <= 0 {
		lifetime = defaultTokenLifetime
	}
	margin := min(s.c.margin, lifetime/4)
	t := cachedToken{token: tok, expiresAt: s.c.now().Add(lifetime - margin)}
	s.setLocal(t)
	s.c.log.DebugContext(ctx, "dingtalk: fetched token", "key", s.key, "lifetime", lifetime)
	if store != nil {
		if err := store.PutToken(ctx, s.key, tok, t.expiresAt); err != nil {
			s.c.log.WarnContext(ctx, "dingtalk: token store put", "key", s.key, "err", err)
		}
	}
	return tok, nil
}

// invalidate drops tok from the caches, unless it was already replaced.
func (s *tokenSource) invalidate(ctx context.Context, tok string) {
	tc := s.c.tokens
	tc.mu.Lock()
	if t, ok := tc.tokens[s.key]; ok && t.token == tok {
		delete(tc.tokens, s.key)
	}
	tc.mu.Unlock()
	if tc.store == nil {
		return
	}
	stored, _, err := tc.store.GetToken(ctx, s.key)
	if err != nil || stored != tok {
		return
	}
	if err := tc.store.DeleteToken(ctx, s.key); err != nil {
		s.c.log.WarnContext(ctx, "dingtalk: token store delete", "key", s.key, "err", err)
	}
}

// withToken runs fn with a cached token. When DingTalk rejects the token
// (KindTokenInvalid) the token is dropped, a fresh one is fetched and fn
// runs once more. This holds for calls carrying a one-time user code too:
// DingTalk's gateway checks the access token before it looks at the code,
// so a token rejection means the code was not consumed. Every other
// failure of a one-time-code call is final (retryBeforeSend).
func (s *tokenSource) withToken(ctx context.Context, fn func(token string) error) error {
	tok, err := s.token(ctx)
	if err != nil {
		return err
	}
	err = fn(tok)
	if !IsKind(err, KindTokenInvalid) {
		return err
	}
	s.invalidate(ctx, tok)
	tok, err = s.token(ctx)
	if err != nil {
		return err
	}
	return fn(tok)
}

// tokenReply decodes every token reply shape: accessToken/expireIn (v1.0),
// access_token/expires_in (oapi and E6), suite_access_token (E17).
type tokenReply struct {
	AccessToken      string `json:"accessToken"`
	AccessTokenSnake string `json:"access_token"`
	SuiteAccessToken string `json:"suite_access_token"`
	ExpireIn         int64  `json:"expireIn"`
	ExpiresIn        int64  `json:"expires_in"`
}

// fetchToken makes cl and returns the token its reply carries.
func (c *Client) fetchToken(ctx context.Context, cl *call) (string, time.Duration, error) {
	var r tokenReply
	if err := c.do(ctx, cl, &r); err != nil {
		return "", 0, err
	}
	return r.token()
}

func (r *tokenReply) token() (string, time.Duration, error) {
	tok := firstNonEmpty(r.AccessToken, r.AccessTokenSnake, r.SuiteAccessToken)
	if tok == "" {
		return "", 0, errors.New("dingtalk: token reply has no token")
	}
	secs := r.ExpireIn
	if secs == 0 {
		secs = r.ExpiresIn
	}
	return tok, time.Duration(secs) * time.Second, nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
