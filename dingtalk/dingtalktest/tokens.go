package dingtalktest

import (
	"time"
)

// Token lifetimes the simulator grants.
const (
	TokenTTL        = 7200 * time.Second
	SSOTokenTTL     = 3600 * time.Second
	RefreshTokenTTL = 30 * 24 * time.Hour
)

type tokenKind int

const (
	tokApp   tokenKind = iota + 1 // internal app token (E4, E5, E6)
	tokCorp                       // ISV token of an authorized corp (E6, E19, E20)
	tokUser                       // user access token (E2)
	tokSSO                        // admin-console SSO token (E13, E14)
	tokSuite                      // ISV suite token (E17, E18)
)

type token struct {
	kind     tokenKind
	corpID   string
	clientID string // app key or suite key
	userID   string // user tokens: the member whose corp was chosen
	unionID  string
	expires  time.Time
}

type refreshToken struct {
	clientID, corpID, userID string
	reportCorp               bool
	expires                  time.Time
}

type tokenStatus int

const (
	tokenOK tokenStatus = iota
	tokenUnknown
	tokenExpired
)

// issueToken returns a token for t valid for ttl. With reuseKey set, a token
// still valid under that key is returned again with its lifetime extended,
// as DingTalk does for app and user tokens. Callers hold mu.
func (s *Simulator) issueToken(t token, ttl time.Duration, reuseKey string) string {
	now := s.clock()
	if reuseKey != "" {
		if v, ok := s.reuse[reuseKey]; ok {
			if old, ok := s.tokens[v]; ok && now.Before(old.expires) {
				old.expires = now.Add(ttl)
				return v
			}
		}
	}
	t.expires = now.Add(ttl)
	v := randomString(32)
	s.tokens[v] = &t
	if reuseKey != "" {
		s.reuse[reuseKey] = v
	}
	return v
}

// lookupToken finds a token by value; callers hold mu.
func (s *Simulator) lookupToken(v string) (token, tokenStatus) {
	t, ok := s.tokens[v]
	if !ok || v == "" {
		return token{}, tokenUnknown
	}
	if !s.clock().Before(t.expires) {
		return *t, tokenExpired
	}
	return *t, tokenOK
}

// ExpireTokens makes every access token issued so far expired. Refresh
// tokens survive, as they would after two hours.
func (s *Simulator) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	past := s.clock().Add(-time.Second)
	for _, t := range s.tokens {
		t.expires = past
	}
}

// clientOf returns the app or suite behind a corp-scoped token.
func (s *Simulator) clientOf(t token) (client, bool) {
	c, ok := s.client(t.clientID)
	if !ok {
		return client{}, false
	}
	if c.suite {
		// Limit the suite to the corp the token was issued for.
		c.corps = []string{t.corpID}
	}
	return c, true
}
