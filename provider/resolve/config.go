package resolve

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk"
)

// Config is the DingTalk app registry: every app, suite and legacy login app
// the bridge logs people in with, and how it reads the directory.
type Config struct {
	// Corps are internal (enterprise) apps, one per corp.
	Corps []Corp
	// Suites are ISV suites (third-party apps installed in many corps).
	Suites []Suite
	// LoginApps are legacy login apps (qrconnect, sns_authorize,
	// getuserinfo_bycode).
	LoginApps []LoginApp
	// Language is "zh_CN" (default) or "en_US": the language of user
	// details (E8) and department names (E22).
	Language string
	// DepartmentCacheTTL is how long department names and parents are
	// cached in the storage cache table. Default 1 h.
	DepartmentCacheTTL time.Duration
}

// Corp is an organisation served through its internal app.
type Corp struct {
	// CorpID is the organisation's corpId. Required, unique.
	CorpID string
	// Name is shown on the corp chooser and becomes Profile.CorpName;
	// default CorpID.
	Name string
	// AppKey (20 characters) and AppSecret (64 characters) are the internal
	// app's credentials; AgentID its agent id (10^9 … 10^10-1).
	AppKey    string
	AppSecret string
	AgentID   int64
	// TokenMethod selects the app-token endpoint (E5 default, E4, E6).
	TokenMethod dingtalk.TokenMethod
	// SSOSecret is the admin-console SSO secret; empty means the corp has
	// no admin-console entry. SSOMethod selects E14+E16 (default) or
	// E13+E15.
	SSOSecret string
	SSOMethod dingtalk.TokenMethod
	// InClient is how people log in inside the DingTalk client: "jsapi"
	// (default: micro app, dd.requestAuthCode) or "sns" (in-client website
	// login, sns_authorize, through a LoginApp covering this corp).
	InClient string
}

// Suite is an ISV suite (or custom app) installed in several corps.
type Suite struct {
	// SuiteKey and SuiteSecret are the suite's credentials. Required.
	SuiteKey    string
	SuiteSecret string
	// TokenMethod selects the suite and corp token endpoints (E18+E20
	// default, E17+E19, or E6 corp tokens).
	TokenMethod dingtalk.TokenMethod
	// Ticket is a static suite ticket (custom apps accept any string).
	// When empty the newest ticket pushed to SetSuiteTicket is used.
	Ticket string
	// Corps are the authorized corps the bridge serves through the suite.
	Corps []SuiteCorp
	// SSOCorpID and SSOSecret are the ISV's own corp and its admin-console
	// SSO secret; empty SSOSecret: no admin-console entry. SSOMethod as in
	// Corp.
	SSOCorpID string
	SSOSecret string
	SSOMethod dingtalk.TokenMethod
}

// SuiteCorp is a corp that has authorized a suite.
type SuiteCorp struct {
	// CorpID is the authorizing corp. Required; a corp is served by at most
	// one suite.
	CorpID string
	// Name is the corp's name; default CorpID.
	Name string
	// AgentID is the suite's agent id in that corp, for the JSAPI; 0 when
	// unknown.
	AgentID int64
}

// LoginApp is a legacy login app (扫码登录应用授权): qrconnect, sns_authorize
// and the signed getuserinfo_bycode.
type LoginApp struct {
	// AppID and AppSecret are the login app's credentials. Required.
	AppID     string
	AppSecret string
	// Corps are the corps whose members it maps to a userid (E9); empty
	// means every corp the bridge serves.
	Corps []string
}

// Options are the Resolver's collaborators.
type Options struct {
	// Logger receives warnings about degraded lookups; nil discards them.
	Logger *slog.Logger
	// Now is the clock for cache expiry; default time.Now.
	Now func() time.Time
}

// Language values of Config.Language.
const (
	LanguageZH = "zh_CN"
	LanguageEN = "en_US"
)

// InClient values of Corp.InClient and CorpInfo.InClient.
const (
	InClientJSAPI = "jsapi"
	InClientSNS   = "sns"
)

// Bounds of an internal app's agent id (seed 002).
const (
	minAgentID = 1_000_000_000
	maxAgentID = 9_999_999_999
)

// validate reports every problem of cfg at once, each naming its key.
func (cfg Config) validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{key}, args...)...))
	}
	switch cfg.Language {
	case "", LanguageZH, LanguageEN:
	default:
		bad("language", "must be %q or %q, got %q", LanguageZH, LanguageEN, cfg.Language)
	}
	if cfg.DepartmentCacheTTL < 0 {
		bad("departmentCacheTTL", "must not be negative")
	}
	corps := map[string]string{}      // corpId → internal app key serving it
	suiteCorps := map[string]string{} // corpId → suite corp key serving it
	appKeys := map[string]string{}
	for i, c := range cfg.Corps {
		key := fmt.Sprintf("corps[%d]", i)
		if c.CorpID == "" {
			bad(key+".corpId", "required")
		} else if prev, dup := corps[c.CorpID]; dup {
			bad(key+".corpId", "%q is already served by %s", c.CorpID, prev)
		} else {
			corps[c.CorpID] = key
		}
		if n := len(c.AppKey); n != 20 {
			bad(key+".appKey", "must be 20 characters, got %d", n)
		} else if prev, dup := appKeys[c.AppKey]; dup {
			bad(key+".appKey", "already used by %s", prev)
		} else {
			appKeys[c.AppKey] = key
		}
		if n := len(c.AppSecret); n != 64 {
			bad(key+".appSecret", "must be 64 characters, got %d", n)
		}
		if c.AgentID < minAgentID || c.AgentID > maxAgentID {
			bad(key+".agentId", "must be between 10^9 and 10^10-1, got %d", c.AgentID)
		}
		if c.TokenMethod < dingtalk.TokenV1 || c.TokenMethod > dingtalk.TokenUnified {
			bad(key+".tokenMethod", "unknown method %d", c.TokenMethod)
		}
		if c.SSOMethod < dingtalk.TokenV1 || c.SSOMethod > dingtalk.TokenLegacy {
			bad(key+".ssoMethod", "must be v1 or legacy")
		}
		switch c.InClient {
		case "", InClientJSAPI, InClientSNS:
		default:
			bad(key+".inClient", "must be %q or %q, got %q", InClientJSAPI, InClientSNS, c.InClient)
		}
	}
	suiteKeys := map[string]string{}
	for i, s := range cfg.Suites {
		key := fmt.Sprintf("suites[%d]", i)
		if s.SuiteKey == "" {
			bad(key+".suiteKey", "required")
		} else if prev, dup := suiteKeys[s.SuiteKey]; dup {
			bad(key+".suiteKey", "already used by %s", prev)
		} else if prev, dup := appKeys[s.SuiteKey]; dup {
			bad(key+".suiteKey", "already used as the appKey of %s", prev)
		} else {
			suiteKeys[s.SuiteKey] = key
		}
		if s.SuiteSecret == "" {
			bad(key+".suiteSecret", "required")
		}
		if s.TokenMethod < dingtalk.TokenV1 || s.TokenMethod > dingtalk.TokenUnified {
			bad(key+".tokenMethod", "unknown method %d", s.TokenMethod)
		}
		if s.SSOSecret != "" && s.SSOCorpID == "" {
			bad(key+".ssoCorpId", "required with ssoSecret")
		}
		if s.SSOMethod < dingtalk.TokenV1 || s.SSOMethod > dingtalk.TokenLegacy {
			bad(key+".ssoMethod", "must be v1 or legacy")
		}
		if len(s.Corps) == 0 {
			bad(key+".corps", "at least one authorized corp is required")
		}
		for j, sc := range s.Corps {
			ckey := fmt.Sprintf("%s.corps[%d]", key, j)
			if sc.CorpID == "" {
				bad(ckey+".corpId", "required")
			} else if prev, dup := suiteCorps[sc.CorpID]; dup {
				bad(ckey+".corpId", "%q is already served by %s", sc.CorpID, prev)
			} else {
				suiteCorps[sc.CorpID] = ckey
			}
			if sc.AgentID < 0 {
				bad(ckey+".agentId", "must not be negative")
			}
		}
	}
	loginIDs := map[string]string{}
	for i, l := range cfg.LoginApps {
		key := fmt.Sprintf("loginApps[%d]", i)
		if l.AppID == "" {
			bad(key+".appId", "required")
		} else if prev, dup := loginIDs[l.AppID]; dup {
			bad(key+".appId", "already used by %s", prev)
		} else {
			loginIDs[l.AppID] = key
		}
		if l.AppSecret == "" {
			bad(key+".appSecret", "required")
		}
		for j, c := range l.Corps {
			_, internal := corps[c]
			if _, suite := suiteCorps[c]; !internal && !suite {
				bad(fmt.Sprintf("%s.corps[%d]", key, j), "corp %q is not configured", c)
			}
		}
	}
	for i, c := range cfg.Corps {
		if c.InClient == InClientSNS && c.CorpID != "" && firstLoginApp(cfg.LoginApps, c.CorpID) == "" {
			bad(fmt.Sprintf("corps[%d].inClient", i), "%q needs a login app covering corp %q", InClientSNS, c.CorpID)
		}
	}
	if len(corps) == 0 && len(suiteCorps) == 0 {
		errs = append(errs, errors.New("corps: at least one corp or suite corp is required"))
	}
	return errors.Join(errs...)
}

// firstLoginApp returns the AppID of the first login app covering corpID.
func firstLoginApp(apps []LoginApp, corpID string) string {
	for _, l := range apps {
		if len(l.Corps) == 0 {
			return l.AppID
		}
		for _, c := range l.Corps {
			if c == corpID {
				return l.AppID
			}
		}
	}
	return ""
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}
