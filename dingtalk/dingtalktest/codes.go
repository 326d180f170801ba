package dingtalktest

import (
	"fmt"
	"time"
)

// CodeKind says which flow a one-time code belongs to. A code is accepted
// only by the endpoints of its own kind and only for its own app.
type CodeKind int

const (
	// CodeJSAPI is an in-app free-login code from dd.requestAuthCode and
	// friends, consumed by E7 topapi/v2/user/getuserinfo.
	CodeJSAPI CodeKind = iota + 1
	// CodeOAuth is a new-OAuth authCode from the login page (E1), consumed by
	// E2 /v1.0/oauth2/userAccessToken.
	CodeOAuth
	// CodeSNS is a legacy sns temporary code from qrconnect/sns_authorize,
	// consumed by E12 sns/getuserinfo_bycode.
	CodeSNS
	// CodeSSO is an admin-console SSO code, consumed by E15/E16.
	CodeSSO
)

// String returns a short name of the kind.
func (k CodeKind) String() string {
	switch k {
	case CodeJSAPI:
		return "jsapi"
	case CodeOAuth:
		return "oauth"
	case CodeSNS:
		return "sns"
	case CodeSSO:
		return "sso"
	}
	return fmt.Sprintf("CodeKind(%d)", int(k))
}

// CodeTTL is how long a one-time code stays valid.
const CodeTTL = 5 * time.Minute

type code struct {
	kind     CodeKind
	clientID string // app key, suite key or login app id; "" = any app of the corp (JSAPI, SSO)
	corpID   string
	userID   string
	// reportCorp makes E2 return corpId (scope "openid corpid").
	reportCorp bool
	expires    time.Time
}

// IssueCode mints a one-time code of kind for the user userID of corpID, as
// if the user had just logged in to clientID: an app key or suite key for
// CodeJSAPI and CodeOAuth (empty allowed for CodeJSAPI: any app of the corp),
// a login app id (or app key) for CodeSNS, and empty for CodeSSO. OAuth codes
// report the corp on E2. Unknown users or clients panic.
func (s *Simulator) IssueCode(kind CodeKind, clientID, corpID, userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.user(corpID, userID); !ok {
		panic(fmt.Sprintf("dingtalktest: IssueCode: no user %q in corp %q", userID, corpID))
	}
	switch kind {
	case CodeJSAPI, CodeOAuth:
		if clientID == "" && kind == CodeJSAPI {
			break
		}
		c, ok := s.client(clientID)
		if !ok || !c.inCorp(corpID) {
			panic(fmt.Sprintf("dingtalktest: IssueCode: %q is not an app of corp %q", clientID, corpID))
		}
	case CodeSNS:
		_, login := s.loginApp(clientID)
		_, app := s.app(clientID)
		if !login && !app {
			panic(fmt.Sprintf("dingtalktest: IssueCode: unknown login app %q", clientID))
		}
	case CodeSSO:
		if clientID != "" {
			panic("dingtalktest: IssueCode: SSO codes take no client id")
		}
	default:
		panic(fmt.Sprintf("dingtalktest: IssueCode: unknown kind %v", kind))
	}
	return s.newCode(code{kind: kind, clientID: clientID, corpID: corpID, userID: userID, reportCorp: kind == CodeOAuth})
}

// newCode stores c and returns its value; callers hold mu.
func (s *Simulator) newCode(c code) string {
	c.expires = s.clock().Add(CodeTTL)
	v := randomString(32)
	s.codes[v] = &c
	return v
}

// takeCode consumes a code of kind usable by clientID inside corpID (corpID
// "" matches any corp). A code of another kind or app is left alone; an
// expired code is dropped. Callers hold mu.
func (s *Simulator) takeCode(value string, kind CodeKind, clientID, corpID string) (code, bool) {
	c, ok := s.codes[value]
	if !ok || c.kind != kind {
		return code{}, false
	}
	if !s.clock().Before(c.expires) {
		delete(s.codes, value)
		return code{}, false
	}
	if c.clientID != "" && c.clientID != clientID {
		return code{}, false
	}
	if corpID != "" && c.corpID != corpID {
		return code{}, false
	}
	delete(s.codes, value)
	return *c, true
}
