package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

const docPath = "../../docs/configuration.md"

func readDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDocNamesEveryKey checks that docs/configuration.md documents every
// scalar key with its environment variable, and no variable that does not
// exist. List items are written with [n] (and [m] inside them) in keys and
// <n> (<m>) in variables: dingtalk.suites[n].corps[m].corpId,
// DINGBRIDGE_DINGTALK_SUITES_<n>_CORPS_<m>_CORP_ID.
func TestDocNamesEveryKey(t *testing.T) {
	doc := readDoc(t)
	cfg := defaultConfig()
	cfg.Clients = []ClientConfig{{}}
	cfg.DingTalk.Corps = []DingTalkCorpConfig{{}}
	cfg.DingTalk.Suites = []DingTalkSuiteConfig{{Corps: []DingTalkSuiteCorpConfig{{}}}}
	cfg.DingTalk.LoginApps = []DingTalkLoginAppConfig{{}}
	known := map[string]bool{"DINGBRIDGE_CONFIG": true}
	for _, f := range scalarFields(&cfg) {
		key := strings.TrimPrefix(f.key, "clients[0].")
		key = strings.Replace(strings.Replace(key, "[0]", "[n]", 1), "[0]", "[m]", 1)
		env := docEnv(f.env)
		known[env] = true
		if !strings.Contains(doc, "| `"+key+"` |") {
			t.Errorf("docs: no table row for key %s", f.key)
		}
		if !strings.Contains(doc, "`"+env+"`") {
			t.Errorf("docs: environment variable %s of %s not mentioned", env, f.key)
		}
	}
	for _, env := range regexp.MustCompile("DINGBRIDGE_[A-Z0-9_<>nm]+[A-Z]").FindAllString(doc, -1) {
		if env == "DINGBRIDGE_CLIENTS_<n>_<FIELD" {
			continue
		}
		if !known[docEnv(env)] {
			t.Errorf("docs: mentions %s, which no key reads", env)
		}
	}
}

var listIndexRE = regexp.MustCompile(`_\d+_`)

// docEnv writes the list indexes of a variable as <n> and <m>.
func docEnv(env string) string {
	i := 0
	return listIndexRE.ReplaceAllStringFunc(env, func(string) string {
		i++
		return map[int]string{1: "_<n>_", 2: "_<m>_"}[i]
	})
}

// TestDocExampleIsValid loads the example file of docs/configuration.md,
// with its secret files supplied through the environment.
func TestDocExampleIsValid(t *testing.T) {
	doc := readDoc(t)
	_, after, ok := strings.Cut(doc, "## Example")
	if !ok {
		t.Fatal("docs: no Example section")
	}
	m := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindStringSubmatch(after)
	if m == nil {
		t.Fatal("docs: no yaml block in the Example section")
	}
	dir := t.TempDir()
	env := map[string]string{
		"DINGBRIDGE_KEYS_ENCRYPTION_KEY_FILE": writeFile(t, dir, "enc", key(32)),
		"DINGBRIDGE_COOKIES_HASH_KEY_FILE":    writeFile(t, dir, "hash", key(64)),
		"DINGBRIDGE_COOKIES_BLOCK_KEY_FILE":   writeFile(t, dir, "block", key(32)),
		"DINGBRIDGE_CLIENTS_0_SECRET_FILE":    writeFile(t, dir, "wiki", "wiki-secret\n"),
		"DINGBRIDGE_CLIENTS_2_SECRET_FILE":    writeFile(t, dir, "reports", "reports-secret\n"),

		"DINGBRIDGE_DINGTALK_SUITE_TICKET_PUSH_TOKEN_FILE": writeFile(t, dir, "push", "push-token\n"),
		"DINGBRIDGE_DINGTALK_CORPS_0_APP_SECRET_FILE":      writeFile(t, dir, "app", strings.Repeat("a", 64)),
		"DINGBRIDGE_DINGTALK_CORPS_0_SSO_SECRET_FILE":      writeFile(t, dir, "sso", "sso-secret"),
		"DINGBRIDGE_DINGTALK_SUITES_0_SUITE_SECRET_FILE":   writeFile(t, dir, "suite", "suite-secret"),
		"DINGBRIDGE_DINGTALK_LOGIN_APPS_0_APP_SECRET_FILE": writeFile(t, dir, "login", "login-secret"),
	}
	p := writeFile(t, dir, "example.yaml", m[1])
	cfg, probs := loadConfig(p, true, envMap(env))
	s, err := validate(cfg, probs)
	if err != nil {
		t.Fatalf("docs example: %v", err)
	}
	if s.db.driver != "postgres" || len(s.clients) != 3 || s.clients[0].secret != "wiki-secret" {
		t.Errorf("docs example loaded as db %q, %d clients", s.db.driver, len(s.clients))
	}
	if r := s.dingtalk.registry; r == nil || len(r.Corps) != 1 || len(r.Suites) != 1 || len(r.LoginApps) != 1 ||
		r.Corps[0].SSOSecret != "sso-secret" || s.dingtalk.pushToken != "push-token" {
		t.Error("docs example: dingtalk section not loaded as written (one corp with its SSO secret, one suite, one login app, the push token)")
	}
}

// TestReadmeExampleIsValid loads the production example of README.md, with
// its secret files supplied through the environment.
func TestReadmeExampleIsValid(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(string(b), "## Production quick start")
	m := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindStringSubmatch(after)
	if m == nil {
		t.Fatal("README: no yaml block in the production quick start")
	}
	yml := regexp.MustCompile(`(?m)^   `).ReplaceAllString(m[1], "")
	dir := t.TempDir()
	env := map[string]string{
		"DINGBRIDGE_KEYS_ENCRYPTION_KEY_FILE":         writeFile(t, dir, "enc", key(32)),
		"DINGBRIDGE_COOKIES_HASH_KEY_FILE":            writeFile(t, dir, "hash", key(64)),
		"DINGBRIDGE_COOKIES_BLOCK_KEY_FILE":           writeFile(t, dir, "block", key(32)),
		"DINGBRIDGE_DINGTALK_CORPS_0_APP_SECRET_FILE": writeFile(t, dir, "app", strings.Repeat("a", 64)),
		"DINGBRIDGE_CLIENTS_0_SECRET_FILE":            writeFile(t, dir, "grafana", "grafana-secret"),
	}
	cfg, probs := loadConfig(writeFile(t, dir, "readme.yaml", yml), true, envMap(env))
	s, err := validate(cfg, probs)
	if err != nil {
		t.Fatalf("README example: %v", err)
	}
	if s.db.driver != "postgres" || s.dingtalk.registry == nil || len(s.clients) != 1 {
		t.Errorf("README example loaded as db %q, registry %v, %d clients", s.db.driver, s.dingtalk.registry != nil, len(s.clients))
	}
}
