package main

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk"
	"github.com/dingbridge/dingbridge/provider/login"
	"github.com/dingbridge/dingbridge/provider/resolve"
)

// DingTalkConfig is the DingTalk section: DingTalk's hosts and scripts, and
// the apps people log in with (internal apps per corp, ISV suites, legacy
// login apps). Without any app the provider starts and /login says that no
// login method is configured.
type DingTalkConfig struct {
	Endpoints DingTalkEndpoints `yaml:"endpoints"`
	// JSAPIScriptURL and FrameLoginScriptURL are DingTalk's official
	// scripts, loaded by the workspace and QR pages.
	JSAPIScriptURL      string `yaml:"jsapiScriptURL"`
	FrameLoginScriptURL string `yaml:"frameLoginScriptURL"`
	// Timeout bounds each HTTP call to DingTalk.
	Timeout Duration `yaml:"timeout"`
	// Language is zh_CN or en_US: the language of names read from the
	// directory.
	Language string `yaml:"language"`
	// DepartmentCacheTTL is how long department names and parents are
	// cached.
	DepartmentCacheTTL Duration `yaml:"departmentCacheTTL"`
	// SuiteTicketPushToken is the bearer token of POST
	// /dingtalk/suite-ticket; empty disables the endpoint.
	SuiteTicketPushToken     string                   `yaml:"suiteTicketPushToken"`
	SuiteTicketPushTokenFile string                   `yaml:"suiteTicketPushTokenFile"`
	Corps                    []DingTalkCorpConfig     `yaml:"corps"`
	Suites                   []DingTalkSuiteConfig    `yaml:"suites"`
	LoginApps                []DingTalkLoginAppConfig `yaml:"loginApps"`
}

// DingTalkEndpoints are the base URLs of DingTalk's three hosts.
type DingTalkEndpoints struct {
	OAPI  string `yaml:"oapi"`
	API   string `yaml:"api"`
	Login string `yaml:"login"`
}

// DingTalkCorpConfig is an organisation served through its internal app.
type DingTalkCorpConfig struct {
	CorpID        string `yaml:"corpId"`
	Name          string `yaml:"name"`
	AppKey        string `yaml:"appKey"`
	AppSecret     string `yaml:"appSecret"`
	AppSecretFile string `yaml:"appSecretFile"`
	AgentID       int64  `yaml:"agentId"`
	// TokenMethod is v1, legacy or unified.
	TokenMethod   string `yaml:"tokenMethod"`
	SSOSecret     string `yaml:"ssoSecret"`
	SSOSecretFile string `yaml:"ssoSecretFile"`
	// SSOMethod is v1 or legacy.
	SSOMethod string `yaml:"ssoMethod"`
	// InClient is jsapi or sns.
	InClient string `yaml:"inClient"`
}

// DingTalkSuiteConfig is an ISV suite installed in several corps.
type DingTalkSuiteConfig struct {
	SuiteKey        string                    `yaml:"suiteKey"`
	SuiteSecret     string                    `yaml:"suiteSecret"`
	SuiteSecretFile string                    `yaml:"suiteSecretFile"`
	TokenMethod     string                    `yaml:"tokenMethod"`
	Ticket          string                    `yaml:"ticket"`
	TicketFile      string                    `yaml:"ticketFile"`
	Corps           []DingTalkSuiteCorpConfig `yaml:"corps"`
	SSOCorpID       string                    `yaml:"ssoCorpId"`
	SSOSecret       string                    `yaml:"ssoSecret"`
	SSOSecretFile   string                    `yaml:"ssoSecretFile"`
	SSOMethod       string                    `yaml:"ssoMethod"`
}

// DingTalkSuiteCorpConfig is a corp that has authorized a suite.
type DingTalkSuiteCorpConfig struct {
	CorpID  string `yaml:"corpId"`
	Name    string `yaml:"name"`
	AgentID int64  `yaml:"agentId"`
}

// DingTalkLoginAppConfig is a legacy login app (qrconnect, sns_authorize).
type DingTalkLoginAppConfig struct {
	AppID         string   `yaml:"appId"`
	AppSecret     string   `yaml:"appSecret"`
	AppSecretFile string   `yaml:"appSecretFile"`
	Corps         []string `yaml:"corps"`
}

func defaultDingTalkConfig() DingTalkConfig {
	return DingTalkConfig{
		Endpoints: DingTalkEndpoints{
			OAPI: dingtalk.DefaultOAPIURL, API: dingtalk.DefaultAPIURL, Login: dingtalk.DefaultLoginURL,
		},
		JSAPIScriptURL:      login.DefaultJSAPIScriptURL,
		FrameLoginScriptURL: login.DefaultFrameLoginScriptURL,
		Timeout:             Duration(5 * time.Second),
		Language:            resolve.LanguageZH,
		DepartmentCacheTTL:  Duration(time.Hour),
	}
}

// dingTalkSettings is the validated DingTalk section with its secrets
// loaded.
type dingTalkSettings struct {
	endpoints           dingtalk.Endpoints
	timeout             time.Duration
	jsapiScriptURL      string
	frameLoginScriptURL string
	pushToken           string
	// registry is nil when no app is configured: then there is no login
	// step.
	registry *resolve.Config
}

var (
	tokenMethods = map[string]dingtalk.TokenMethod{"": dingtalk.TokenV1, "v1": dingtalk.TokenV1,
		"legacy": dingtalk.TokenLegacy, "unified": dingtalk.TokenUnified}
	ssoMethods = map[string]dingtalk.TokenMethod{"": dingtalk.TokenV1, "v1": dingtalk.TokenV1,
		"legacy": dingtalk.TokenLegacy}
)

// validateDingTalk checks the dingtalk section and converts it. Problems of
// the app registry (seed 002's rules: corpId present, appKey 20
// characters, appSecret 64, agentId 10^9…10^10-1, duplicates, unknown
// corps) are resolve's own messages, named by their key under dingtalk.
func validateDingTalk(c DingTalkConfig, probs *problems) dingTalkSettings {
	const k = "dingtalk"
	// own collects the keys this function reports, so that resolve's view
	// of the same key (a secret whose file could not be read has length 0)
	// is not reported twice.
	own := map[string]bool{}
	add := func(key, format string, args ...any) {
		own[strings.TrimSuffix(key, "File")] = true
		probs.add(key, format, args...)
	}
	secret := func(key, inline, file string) string {
		n := len(*probs)
		v, _ := readSecret(probs, key, inline, file)
		for _, p := range (*probs)[n:] {
			own[strings.TrimSuffix(strings.SplitN(p, ":", 2)[0], "File")] = true
		}
		return v
	}
	method := func(key, v string, allowed map[string]dingtalk.TokenMethod, want string) dingtalk.TokenMethod {
		m, ok := allowed[v]
		if !ok {
			add(key, "invalid %q (want %s)", v, want)
		}
		return m
	}

	ds := dingTalkSettings{
		endpoints: dingtalk.Endpoints{OAPI: c.Endpoints.OAPI, API: c.Endpoints.API, Login: c.Endpoints.Login},
		timeout:   time.Duration(c.Timeout), jsapiScriptURL: c.JSAPIScriptURL, frameLoginScriptURL: c.FrameLoginScriptURL,
	}
	for key, u := range map[string]string{
		k + ".endpoints.oapi": c.Endpoints.OAPI, k + ".endpoints.api": c.Endpoints.API, k + ".endpoints.login": c.Endpoints.Login,
		k + ".jsapiScriptURL": c.JSAPIScriptURL, k + ".frameLoginScriptURL": c.FrameLoginScriptURL,
	} {
		if p, err := url.Parse(u); err != nil || p.Host == "" || (p.Scheme != "https" && p.Scheme != "http") || p.RawQuery != "" || p.Fragment != "" {
			add(key, "invalid URL %q (want an absolute http(s) URL without query)", u)
		}
	}
	positive(probs, k+".timeout", c.Timeout)
	positive(probs, k+".departmentCacheTTL", c.DepartmentCacheTTL)
	ds.pushToken = secret(k+".suiteTicketPushToken", c.SuiteTicketPushToken, c.SuiteTicketPushTokenFile)

	rc := resolve.Config{Language: c.Language, DepartmentCacheTTL: time.Duration(c.DepartmentCacheTTL)}
	for i, cc := range c.Corps {
		key := fmt.Sprintf("%s.corps[%d]", k, i)
		rc.Corps = append(rc.Corps, resolve.Corp{
			CorpID: cc.CorpID, Name: cc.Name, AppKey: cc.AppKey, AgentID: cc.AgentID,
			AppSecret:   secret(key+".appSecret", cc.AppSecret, cc.AppSecretFile),
			TokenMethod: method(key+".tokenMethod", cc.TokenMethod, tokenMethods, "v1, legacy or unified"),
			SSOSecret:   secret(key+".ssoSecret", cc.SSOSecret, cc.SSOSecretFile),
			SSOMethod:   method(key+".ssoMethod", cc.SSOMethod, ssoMethods, "v1 or legacy"),
			InClient:    cc.InClient,
		})
	}
	for i, sc := range c.Suites {
		key := fmt.Sprintf("%s.suites[%d]", k, i)
		s := resolve.Suite{
			SuiteKey:    sc.SuiteKey,
			SuiteSecret: secret(key+".suiteSecret", sc.SuiteSecret, sc.SuiteSecretFile),
			TokenMethod: method(key+".tokenMethod", sc.TokenMethod, tokenMethods, "v1, legacy or unified"),
			Ticket:      secret(key+".ticket", sc.Ticket, sc.TicketFile),
			SSOCorpID:   sc.SSOCorpID,
			SSOSecret:   secret(key+".ssoSecret", sc.SSOSecret, sc.SSOSecretFile),
			SSOMethod:   method(key+".ssoMethod", sc.SSOMethod, ssoMethods, "v1 or legacy"),
		}
		for _, corp := range sc.Corps {
			s.Corps = append(s.Corps, resolve.SuiteCorp{CorpID: corp.CorpID, Name: corp.Name, AgentID: corp.AgentID})
		}
		rc.Suites = append(rc.Suites, s)
	}
	for i, lc := range c.LoginApps {
		key := fmt.Sprintf("%s.loginApps[%d]", k, i)
		rc.LoginApps = append(rc.LoginApps, resolve.LoginApp{
			AppID: lc.AppID, AppSecret: secret(key+".appSecret", lc.AppSecret, lc.AppSecretFile), Corps: lc.Corps,
		})
	}
	if len(rc.Corps)+len(rc.Suites)+len(rc.LoginApps) == 0 {
		return ds
	}
	for _, p := range registryProblems(rc) {
		key, _, _ := strings.Cut(p, ":")
		if !own[k+"."+key] {
			*probs = append(*probs, k+"."+p)
		}
	}
	ds.registry = &rc
	return ds
}

// registryProblems returns resolve's validation of rc, one problem per
// key ("corps[1].appKey: must be 20 characters, got 19"). resolve.New
// validates its configuration before it looks at its collaborators, so
// without them a valid configuration yields only the missing-collaborator
// error, which is not a problem of the file.
func registryProblems(rc resolve.Config) []string {
	_, err := resolve.New(rc, nil, nil, resolve.Options{})
	joined, ok := errors.Unwrap(err).(interface{ Unwrap() []error })
	if !ok {
		return nil
	}
	var out []string
	for _, e := range joined.Unwrap() {
		out = append(out, e.Error())
	}
	return out
}
