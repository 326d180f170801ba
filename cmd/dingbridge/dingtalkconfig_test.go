package main

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk"
	"github.com/dingbridge/dingbridge/provider/login"
	"github.com/dingbridge/dingbridge/provider/resolve"
)

var (
	testAppSecret  = strings.Repeat("s", 64)
	testAppSecret2 = strings.Repeat("t", 64)
)

func TestDingTalkDefaults(t *testing.T) {
	s, err := loadYAML(t, "dev: true\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	d := s.dingtalk
	if d.registry != nil {
		t.Errorf("registry = %+v, want none without apps", d.registry)
	}
	want := dingtalk.Endpoints{OAPI: dingtalk.DefaultOAPIURL, API: dingtalk.DefaultAPIURL, Login: dingtalk.DefaultLoginURL}
	if d.endpoints != want || d.timeout != 5*time.Second || d.jsapiScriptURL != login.DefaultJSAPIScriptURL ||
		d.frameLoginScriptURL != login.DefaultFrameLoginScriptURL || d.pushToken != "" {
		t.Errorf("defaults = %+v", d)
	}
}

func TestDingTalkSection(t *testing.T) {
	dir := t.TempDir()
	yml := `
dev: true
dingtalk:
  endpoints: {oapi: 'http://127.0.0.1:9/oapi', api: 'http://127.0.0.1:9/api', login: 'http://127.0.0.1:9/login'}
  jsapiScriptURL: http://127.0.0.1:9/dd.js
  frameLoginScriptURL: http://127.0.0.1:9/ddlogin.js
  timeout: 2s
  language: en_US
  departmentCacheTTL: 10m
  suiteTicketPushTokenFile: ` + writeFile(t, dir, "push", "push-token\n") + `
  corps:
    - corpId: dingcorp1
      name: Corp One
      appKey: dingappkey0000000001
      appSecretFile: ` + writeFile(t, dir, "app1", testAppSecret+"\n") + `
      agentId: 1000000001
      tokenMethod: legacy
      ssoSecret: sso-one
      ssoMethod: legacy
    - corpId: dingcorp2
      appKey: dingappkey0000000002
      appSecret: placeholder
      agentId: 9999999999
      tokenMethod: unified
      inClient: sns
  suites:
    - suiteKey: suitekey01
      suiteSecret: suite-secret
      tokenMethod: legacy
      ticketFile: ` + writeFile(t, dir, "ticket", "static-ticket\n") + `
      ssoCorpId: dingisv
      ssoSecret: sso-isv
      corps:
        - {corpId: dingcorp3, name: Corp Three, agentId: 42}
  loginApps:
    - appId: dingoalogin
      appSecret: login-secret
      corps: [dingcorp2, dingcorp3]
clients:
  - id: mini
    public: true
    applicationType: native
    grantTypes: [urn:ietf:params:oauth:grant-type:token-exchange, refresh_token]
    policy: {alwaysRelease: [profile, groups]}
`
	env := map[string]string{
		"DINGBRIDGE_DINGTALK_CORPS_1_APP_SECRET":        testAppSecret2,
		"DINGBRIDGE_DINGTALK_SUITES_0_CORPS_0_AGENT_ID": "43",
		"DINGBRIDGE_DINGTALK_TIMEOUT":                   "3s",
	}
	s, err := loadYAML(t, yml, env)
	if err != nil {
		t.Fatal(err)
	}
	d := s.dingtalk
	if d.endpoints.OAPI != "http://127.0.0.1:9/oapi" || d.endpoints.API != "http://127.0.0.1:9/api" || d.endpoints.Login != "http://127.0.0.1:9/login" {
		t.Errorf("endpoints = %+v", d.endpoints)
	}
	if d.timeout != 3*time.Second || d.jsapiScriptURL != "http://127.0.0.1:9/dd.js" || d.frameLoginScriptURL != "http://127.0.0.1:9/ddlogin.js" {
		t.Errorf("timeout %s (env 3s), scripts %q %q", d.timeout, d.jsapiScriptURL, d.frameLoginScriptURL)
	}
	if d.pushToken != "push-token" {
		t.Error("push token not read from its file")
	}
	r := d.registry
	if r == nil {
		t.Fatal("no registry")
	}
	if r.Language != resolve.LanguageEN || r.DepartmentCacheTTL != 10*time.Minute {
		t.Errorf("language %q ttl %s", r.Language, r.DepartmentCacheTTL)
	}
	wantCorps := []resolve.Corp{
		{CorpID: "dingcorp1", Name: "Corp One", AppKey: "dingappkey0000000001", AppSecret: testAppSecret, AgentID: 1000000001,
			TokenMethod: dingtalk.TokenLegacy, SSOSecret: "sso-one", SSOMethod: dingtalk.TokenLegacy},
		{CorpID: "dingcorp2", AppKey: "dingappkey0000000002", AppSecret: testAppSecret2, AgentID: 9999999999,
			TokenMethod: dingtalk.TokenUnified, InClient: resolve.InClientSNS},
	}
	if !slices.EqualFunc(r.Corps, wantCorps, func(a, b resolve.Corp) bool { return a == b }) {
		t.Errorf("corps differ from the file (secrets from file and env)")
	}
	if len(r.Suites) != 1 {
		t.Fatalf("suites = %d", len(r.Suites))
	}
	su := r.Suites[0]
	if su.SuiteKey != "suitekey01" || su.SuiteSecret != "suite-secret" || su.TokenMethod != dingtalk.TokenLegacy ||
		su.Ticket != "static-ticket" || su.SSOCorpID != "dingisv" || su.SSOSecret != "sso-isv" ||
		!slices.Equal(su.Corps, []resolve.SuiteCorp{{CorpID: "dingcorp3", Name: "Corp Three", AgentID: 43}}) {
		t.Errorf("suite = key %q method %d corps %+v", su.SuiteKey, su.TokenMethod, su.Corps)
	}
	if len(r.LoginApps) != 1 || r.LoginApps[0].AppID != "dingoalogin" || r.LoginApps[0].AppSecret != "login-secret" ||
		!slices.Equal(r.LoginApps[0].Corps, []string{"dingcorp2", "dingcorp3"}) {
		t.Errorf("login apps = %d", len(r.LoginApps))
	}
	mini := s.clients[0].client
	if !slices.Equal(mini.Policy.AlwaysRelease, []string{"profile", "groups"}) || !mini.Public {
		t.Errorf("mini client = %+v", mini)
	}
}

func TestDingTalkValidation(t *testing.T) {
	dir := t.TempDir()
	good := "    - {corpId: dingcorp1, appKey: dingappkey0000000001, appSecret: " + testAppSecret + ", agentId: 1000000001}\n"
	for _, tc := range []struct {
		name string
		yml  string
		env  map[string]string
		want []string
	}{
		{"seed 002 rules", `
  corps:
    - {appKey: short, appSecret: short, agentId: 999999999}
    - {corpId: dingcorp2, appKey: dingappkey00000000021, appSecret: ` + testAppSecret + `, agentId: 10000000000}
`, nil, []string{
			"dingtalk.corps[0].corpId: required",
			"dingtalk.corps[0].appKey: must be 20 characters, got 5",
			"dingtalk.corps[0].appSecret: must be 64 characters, got 5",
			"dingtalk.corps[0].agentId: must be between 10^9 and 10^10-1, got 999999999",
			"dingtalk.corps[1].appKey: must be 20 characters, got 21",
			"dingtalk.corps[1].agentId: must be between 10^9 and 10^10-1, got 10000000000",
		}},
		{"duplicates", "  corps:\n" + good + good + `
  suites:
    - {suiteKey: dingappkey0000000001, suiteSecret: s, corps: [{corpId: dingcorp9}]}
    - {suiteKey: suite2, suiteSecret: s, corps: [{corpId: dingcorp9}]}
    - {suiteKey: suite2, suiteSecret: s, corps: [{corpId: dingcorp8}]}
  loginApps:
    - {appId: la, appSecret: s}
    - {appId: la, appSecret: s}
`, nil, []string{
			`dingtalk.corps[1].corpId: "dingcorp1" is already served by corps[0]`,
			"dingtalk.corps[1].appKey: already used by corps[0]",
			"dingtalk.suites[0].suiteKey: already used as the appKey of corps[0]",
			`dingtalk.suites[1].corps[0].corpId: "dingcorp9" is already served by suites[0].corps[0]`,
			"dingtalk.suites[2].suiteKey: already used by suites[1]",
			"dingtalk.loginApps[1].appId: already used by loginApps[0]",
		}},
		{"enums", `
  language: fr
  corps:
    - {corpId: dingcorp1, appKey: dingappkey0000000001, appSecret: ` + testAppSecret + `, agentId: 1000000001, tokenMethod: v2, ssoMethod: unified, inClient: web}
  suites:
    - {suiteKey: s1, suiteSecret: s, tokenMethod: old, ssoMethod: new, corps: [{corpId: dingcorp2}]}
`, nil, []string{
			`dingtalk.language: must be "zh_CN" or "en_US", got "fr"`,
			`dingtalk.corps[0].tokenMethod: invalid "v2" (want v1, legacy or unified)`,
			`dingtalk.corps[0].ssoMethod: invalid "unified" (want v1 or legacy)`,
			`dingtalk.corps[0].inClient: must be "jsapi" or "sns", got "web"`,
			`dingtalk.suites[0].tokenMethod: invalid "old" (want v1, legacy or unified)`,
			`dingtalk.suites[0].ssoMethod: invalid "new" (want v1 or legacy)`,
		}},
		{"suites and login apps", `
  corps:
    - {corpId: dingcorp1, appKey: dingappkey0000000001, appSecret: ` + testAppSecret + `, agentId: 1000000001, inClient: sns}
  suites:
    - {ssoSecret: x, corps: [{agentId: -1}]}
    - {suiteKey: s2, suiteSecret: s}
  loginApps:
    - {corps: [dingnowhere]}
`, nil, []string{
			"dingtalk.suites[0].suiteKey: required",
			"dingtalk.suites[0].suiteSecret: required",
			"dingtalk.suites[0].ssoCorpId: required with ssoSecret",
			"dingtalk.suites[0].corps[0].corpId: required",
			"dingtalk.suites[0].corps[0].agentId: must not be negative",
			"dingtalk.suites[1].corps: at least one authorized corp is required",
			"dingtalk.loginApps[0].appId: required",
			"dingtalk.loginApps[0].appSecret: required",
			`dingtalk.loginApps[0].corps[0]: corp "dingnowhere" is not configured`,
			`dingtalk.corps[0].inClient: "sns" needs a login app covering corp "dingcorp1"`,
		}},
		{"login app alone", "  loginApps:\n    - {appId: la, appSecret: s}\n", nil,
			[]string{"dingtalk.corps: at least one corp or suite corp is required"}},
		{"secrets", `
  suiteTicketPushToken: a
  suiteTicketPushTokenFile: /x
  corps:
    - {corpId: dingcorp1, appKey: dingappkey0000000001, appSecretFile: ` + dir + `/absent, agentId: 1000000001, ssoSecretFile: ` + writeFile(t, dir, "empty", "\n") + `}
`, nil, []string{
			"dingtalk.suiteTicketPushToken: set dingtalk.suiteTicketPushToken or dingtalk.suiteTicketPushTokenFile, not both",
			"dingtalk.corps[0].appSecretFile: open " + dir + "/absent",
			"dingtalk.corps[0].ssoSecretFile: file " + dir + "/empty is empty",
		}},
		{"urls and durations", `
  endpoints: {oapi: 'oapi.dingtalk.com', login: 'ftp://login'}
  jsapiScriptURL: 'https://g.alicdn.com/x.js?v=1'
  timeout: 0
  departmentCacheTTL: -1m
`, map[string]string{"DINGBRIDGE_DINGTALK_ENDPOINTS_API": "/relative"}, []string{
			`dingtalk.endpoints.oapi: invalid URL "oapi.dingtalk.com"`,
			`dingtalk.endpoints.api: invalid URL "/relative"`,
			`dingtalk.endpoints.login: invalid URL "ftp://login"`,
			`dingtalk.jsapiScriptURL: invalid URL "https://g.alicdn.com/x.js?v=1"`,
			"dingtalk.timeout: must be a positive duration",
			"dingtalk.departmentCacheTTL: must be a positive duration",
		}},
		{"bad agent id type and env", "  corps:\n    - corpId: c\n      appKey: dingappkey0000000001\n      appSecret: " + testAppSecret + "\n      agentId: many\n",
			map[string]string{"DINGBRIDGE_DINGTALK_CORPS_0_AGENT_ID": "12x"}, []string{
				"dingtalk.corps[0].agentId: cannot use a string value here (want int64)",
				`dingtalk.corps[0].agentId (DINGBRIDGE_DINGTALK_CORPS_0_AGENT_ID): invalid integer "12x"`,
				"dingtalk.corps[0].agentId: must be between 10^9 and 10^10-1, got 0",
			}},
		{"client policy", "  corps:\n" + good + "clients:\n  - {id: a, public: true, redirectURIs: ['http://127.0.0.1/cb'], policy: {alwaysRelease: [phone]}}\n",
			nil, []string{`clients[0].policy.alwaysRelease[0]: invalid "phone" (want profile, email, groups, dingtalk)`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadYAML(t, "dev: true\ndingtalk:\n"+strings.TrimPrefix(tc.yml, "\n"), tc.env)
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *ConfigError", err)
			}
			for _, w := range tc.want {
				if !slices.ContainsFunc(ce.Problems, func(p string) bool { return strings.HasPrefix(p, w) }) {
					t.Errorf("no problem starting %q in:\n  %s", w, strings.Join(ce.Problems, "\n  "))
				}
			}
			if len(ce.Problems) != len(tc.want) {
				t.Errorf("got %d problems, want %d:\n  %s", len(ce.Problems), len(tc.want), strings.Join(ce.Problems, "\n  "))
			}
			for _, secret := range []string{testAppSecret, "sso-one"} {
				if strings.Contains(err.Error(), secret) {
					t.Error("a problem shows a secret")
				}
			}
		})
	}
}
