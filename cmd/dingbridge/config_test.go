package main

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// envMap is a getenv over a map.
func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// writeFile writes content into dir/name and returns the path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// loadYAML loads yaml (written to a temporary file) with env and validates.
func loadYAML(t *testing.T, yml string, env map[string]string) (*settings, error) {
	t.Helper()
	p := writeFile(t, t.TempDir(), "dingbridge.yaml", yml)
	cfg, probs := loadConfig(p, true, envMap(env))
	return validate(cfg, probs)
}

func key(n int) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, n)) }

func TestEnvName(t *testing.T) {
	for _, tc := range []struct {
		path []string
		want string
	}{
		{[]string{"database", "maxConns"}, "DINGBRIDGE_DATABASE_MAX_CONNS"},
		{[]string{"tokens", "accessTokenTTL"}, "DINGBRIDGE_TOKENS_ACCESS_TOKEN_TTL"},
		{[]string{"tokens", "idTokenTTL"}, "DINGBRIDGE_TOKENS_ID_TOKEN_TTL"},
		{[]string{"keys", "encryptionKeyFile"}, "DINGBRIDGE_KEYS_ENCRYPTION_KEY_FILE"},
		{[]string{"clients", "0", "backchannelLogoutURI"}, "DINGBRIDGE_CLIENTS_0_BACKCHANNEL_LOGOUT_URI"},
		{[]string{"issuer"}, "DINGBRIDGE_ISSUER"},
		{[]string{"policy", "claimsInIDToken"}, "DINGBRIDGE_POLICY_CLAIMS_IN_ID_TOKEN"},
		{[]string{"redirectURIs"}, "DINGBRIDGE_REDIRECT_URIS"},
		{[]string{"requirePKCE"}, "DINGBRIDGE_REQUIRE_PKCE"},
	} {
		if got := envName(tc.path...); got != tc.want {
			t.Errorf("envName(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

func TestDefaultsNeedDevOrIssuer(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "absent.yaml")
	cfg, probs := loadConfig(missing, false, envMap(nil))
	if len(probs) != 0 {
		t.Fatalf("absent optional file: problems %q", probs)
	}
	_, err := validate(cfg, probs)
	var ce *ConfigError
	if !errors.As(err, &ce) || len(ce.Problems) != 1 || !strings.HasPrefix(ce.Problems[0], "issuer: required") {
		t.Fatalf("validate(defaults) = %v, want only issuer: required", err)
	}

	cfg, probs = loadConfig(missing, false, envMap(map[string]string{"DINGBRIDGE_DEV": "true"}))
	s, err := validate(cfg, probs)
	if err != nil {
		t.Fatalf("dev defaults: %v", err)
	}
	if s.cfg.Issuer != devIssuer || s.cfg.Listen != ":8080" || s.db.driver != "sqlite" || s.db.path != "dingbridge.db" || !s.db.autoMigrate {
		t.Errorf("dev defaults = issuer %q listen %q db %+v", s.cfg.Issuer, s.cfg.Listen, s.db)
	}
	if s.encryptionKey != nil || s.cookieHashKey != nil {
		t.Error("keys set without configuration; want them left to the SQLite keys file")
	}

	if _, probs := loadConfig(missing, true, envMap(nil)); len(probs) != 1 || !strings.HasPrefix(probs[0], "config file:") {
		t.Errorf("absent explicit file: problems %q, want one config file problem", probs)
	}
}

func TestLoadYAMLEnvAndFiles(t *testing.T) {
	dir := t.TempDir()
	encFile := writeFile(t, dir, "enc.key", key(32)+"\n")
	hashHex := "hex:" + strings.Repeat("ab", 64)
	secretFile := writeFile(t, dir, "secret", "s3cret-from-file\n")
	yml := `
issuer: https://id.example.com/dingbridge
listen: 127.0.0.1:9000
log: {level: debug, format: text}
database:
  url: postgres://u@db/dingbridge?sslmode=disable
  maxConns: 4
keys:
  algorithm: ES256
  rotationPeriod: 240h
  encryptionKeyFile: ` + encFile + `
cookies:
  hashKey: ` + hashHex + `
tokens:
  accessTokenTTL: 10m
shutdownTimeout: 5s
clients:
  - id: web
    name: Web app
    secretFile: ` + secretFile + `
    redirectURIs: [https://app.example.com/cb]
    accessTokenTTL: 2m
    policy:
      allowedCorps: [ding1]
      requiredDepartments: [3000000001]
      email: org
  - id: spa
    public: true
    applicationType: user_agent
    redirectURIs: [https://spa.example.com/cb]
    grantTypes: [authorization_code]
  - id: svc
    grantTypes: [client_credentials]
`
	env := map[string]string{
		"DINGBRIDGE_DATABASE_MAX_CONNS":    "8",
		"DINGBRIDGE_TOKENS_ID_TOKEN_TTL":   "20m",
		"DINGBRIDGE_COOKIES_BLOCK_KEY":     key(32),
		"DINGBRIDGE_CLIENTS_2_SECRET":      "svc-secret-from-env",
		"DINGBRIDGE_LOG_FORMAT":            "json",
		"DINGBRIDGE_DATABASE_AUTO_MIGRATE": "false",
	}
	s, err := loadYAML(t, yml, env)
	if err != nil {
		t.Fatal(err)
	}
	c := s.cfg
	if c.Issuer != "https://id.example.com/dingbridge" || c.Listen != "127.0.0.1:9000" || s.logLevel != slog.LevelDebug || c.Log.Format != "json" {
		t.Errorf("issuer/listen/log = %q %q %v %q", c.Issuer, c.Listen, s.logLevel, c.Log.Format)
	}
	if s.db.driver != "postgres" || s.db.maxConns != 8 || s.db.autoMigrate {
		t.Errorf("db = %+v, want postgres, maxConns 8 (env), autoMigrate false (env)", s.db)
	}
	if c.Keys.Algorithm != "ES256" || time.Duration(c.Keys.RotationPeriod) != 240*time.Hour {
		t.Errorf("keys = %+v", c.Keys)
	}
	if time.Duration(c.Tokens.AccessTokenTTL) != 10*time.Minute || time.Duration(c.Tokens.IDTokenTTL) != 20*time.Minute ||
		time.Duration(c.Tokens.RefreshTokenTTL) != 720*time.Hour {
		t.Errorf("tokens = %+v", c.Tokens)
	}
	if len(s.encryptionKey) != 32 || len(s.cookieHashKey) != 64 || s.cookieHashKey[0] != 0xab || len(s.cookieBlockKey) != 32 {
		t.Errorf("key lengths = %d %d %d", len(s.encryptionKey), len(s.cookieHashKey), len(s.cookieBlockKey))
	}
	if len(s.clients) != 3 {
		t.Fatalf("clients = %d, want 3", len(s.clients))
	}
	web, spa, svc := s.clients[0], s.clients[1], s.clients[2]
	if web.secret != "s3cret-from-file" || !web.client.Declarative || web.client.ApplicationType != "web" ||
		!slices.Equal(web.client.GrantTypes, []string{"authorization_code", "refresh_token"}) ||
		web.client.AccessTokenTTL != 2*time.Minute || web.client.Policy.Email != "org" ||
		!slices.Equal(web.client.Policy.RequiredDepartments, []int64{3000000001}) {
		t.Errorf("web client = %+v secret %q", web.client, web.secret)
	}
	if spa.secret != "" || !spa.client.Public || spa.client.ApplicationType != "user_agent" {
		t.Errorf("spa client = %+v", spa.client)
	}
	if svc.secret != "svc-secret-from-env" {
		t.Errorf("svc secret = %q, want the env override", svc.secret)
	}
}

func TestValidationErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		yml  string
		env  map[string]string
		want []string
	}{
		{"unknown key", "dev: true\ndatabse: {url: x}\nlog: {levle: debug}\n",
			nil, []string{"databse: unknown key", "log.levle: unknown key"}},
		{"unknown key in client", "dev: true\nclients:\n  - id: a\n    public: true\n    redirectURI: https://x/cb\n",
			nil, []string{"clients[0].redirectURI: unknown key", "clients[0].redirectURIs: required for the authorization_code grant"}},
		{"unknown key in dingtalk", "dev: true\ndingtalk:\n  corps:\n    - corpId: dingcorp1\n      appKey: dingappkey0000000001\n" +
			"      appSecret: " + strings.Repeat("s", 64) + "\n      agentId: 1000000001\n      ssoSecrt: x\n",
			nil, []string{"dingtalk.corps[0].ssoSecrt: unknown key"}},
		{"bad duration", "dev: true\nkeys: {rotationPeriod: 3x}\n",
			nil, []string{`keys.rotationPeriod: invalid duration "3x"`}},
		{"bad duration from env", "dev: true\n",
			map[string]string{"DINGBRIDGE_TOKENS_CODE_TTL": "soon"}, []string{`tokens.codeTTL (DINGBRIDGE_TOKENS_CODE_TTL): invalid duration "soon"`}},
		{"debug listener off loopback", "dev: true\ndebugListen: 0.0.0.0:6060\n",
			nil, []string{`debugListen: invalid address "0.0.0.0:6060" (want a loopback host:port, e.g. 127.0.0.1:6060)`}},
		{"bad type", "dev: true\ndatabase: {maxConns: many}\n",
			nil, []string{"database.maxConns: cannot use a string value here (want int)"}},
		{"bad bool from env", "", map[string]string{"DINGBRIDGE_DEV": "yes please"},
			[]string{`dev (DINGBRIDGE_DEV): invalid boolean "yes please"`, "issuer: required"}},
		{"http issuer outside dev", "issuer: http://id.example.com\n",
			nil, []string{"issuer: must be https outside dev mode"}},
		{"issuer with slash", "issuer: https://id.example.com/\n",
			nil, []string{"issuer: must not end with /"}},
		{"postgres needs keys", "issuer: https://id.example.com\ndatabase: {url: 'postgres://db/x'}\n", nil, []string{
			"keys.encryptionKey: required with PostgreSQL (32 bytes, base64)",
			"cookies.hashKey: required with PostgreSQL (32 or 64 bytes, base64)",
			"cookies.blockKey: required with PostgreSQL (32 bytes, base64)",
		}},
		{"key lengths", "dev: true\nkeys: {encryptionKey: " + key(16) + "}\ncookies: {hashKey: " + key(48) + ", blockKey: 'not base64!'}\n", nil, []string{
			"keys.encryptionKey: must be 32 bytes, got 16 bytes",
			"cookies.hashKey: must be 32 or 64 bytes, got 48 bytes",
			"cookies.blockKey: invalid base64",
		}},
		{"key and file", "dev: true\nkeys: {encryptionKey: " + key(32) + ", encryptionKeyFile: /x}\ncookies: {hashKeyFile: " + filepath.Join(dir, "absent") + "}\n", nil, []string{
			"keys.encryptionKey: set keys.encryptionKey or keys.encryptionKeyFile, not both",
			"cookies.hashKeyFile: open " + filepath.Join(dir, "absent"),
		}},
		{"database url", "dev: true\ndatabase: {url: 'mysql://x'}\n",
			nil, []string{"database.url: unsupported database URL"}},
		{"enums", "dev: true\nlog: {level: loud, format: xml}\nkeys: {algorithm: HS256}\n", nil, []string{
			`log.level: invalid level "loud"`, `log.format: invalid format "xml"`, `keys.algorithm: invalid algorithm "HS256"`,
		}},
		{"durations must be positive", "dev: true\ntokens: {codeTTL: 0}\nshutdownTimeout: -1s\n", nil, []string{
			"tokens.codeTTL: must be a positive duration", "shutdownTimeout: must be a positive duration",
		}},
		{"rotation too short for token lifetime", "dev: true\nkeys: {rotationPeriod: 3h}\ntokens: {accessTokenTTL: 2h}\n",
			nil, []string{"keys.rotationPeriod: must be at least twice the longest token lifetime (tokens.idTokenTTL, tokens.accessTokenTTL: 2h0m0s)"}},
		{"protocol rules from provider", "dev: true\nclients:\n  - id: spa\n    public: true\n    applicationType: web\n    redirectURIs: [http://app.example.com/cb]\n", nil, []string{
			"clients[0]: application_type web: must be confidential",
			"clients[0]: redirect_uris: \"http://app.example.com/cb\": http is only allowed for loopback",
		}},
		{"clients", `dev: true
clients:
  - id: a
    secret: s
    redirectURIs: [https://a/cb]
  - id: a
    public: true
    secret: oops
    redirectURIs: ["/relative", "https://b/cb#frag"]
  - name: no id
    grantTypes: [password]
  - id: c
    redirectURIs: [https://c/cb]
    accessTokenFormat: xml
    policy: {email: work, groups: all}
    backchannelLogoutURI: ftp://c/logout
`, nil, []string{
			`clients[1].id: duplicate client id "a" (also clients[0])`,
			"clients[1].secret: a public client has no secret",
			`clients[1].redirectURIs[0]: invalid URL "/relative"`,
			"clients[1].redirectURIs[1]: must not have a fragment",
			"clients[2].id: required",
			"clients[2].secret: required for a confidential client",
			`clients[2].grantTypes[0]: unknown grant type "password"`,
			"clients[3].secret: required for a confidential client",
			`clients[3].accessTokenFormat: invalid "xml"`,
			`clients[3].policy.email: invalid "work"`,
			`clients[3].policy.groups: invalid "all"`,
			`clients[3].backchannelLogoutURI: invalid URL "ftp://c/logout"`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadYAML(t, tc.yml, tc.env)
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
		})
	}
}

func TestProblemsNeverShowSecrets(t *testing.T) {
	secret := "c2VjcmV0LXZhbHVlLXRoYXQtaXMtd3JvbmctbGVuZ3Ro" // base64, wrong length
	_, err := loadYAML(t, "dev: true\nkeys: {encryptionKey: "+secret+"}\ncookies: {blockKey: 'zz top secret'}\n", nil)
	if err == nil {
		t.Fatal("validate accepted wrong keys")
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "top secret") {
		t.Errorf("error shows a secret: %v", err)
	}
}

func TestKeysFileGeneratedOnceAndReused(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "bridge.db")
	s, err := loadYAML(t, "dev: true\ndatabase: {url: 'sqlite:"+db+"'}\ncookies: {blockKey: "+key(32)+"}\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	if err := loadKeyMaterial(s, logger); err != nil {
		t.Fatal(err)
	}
	if len(s.encryptionKey) != 32 || len(s.cookieHashKey) != 64 || !bytes.Equal(s.cookieBlockKey, bytes.Repeat([]byte{7}, 32)) {
		t.Fatalf("key lengths %d %d, block key from config kept: %v", len(s.encryptionKey), len(s.cookieHashKey), bytes.Equal(s.cookieBlockKey, bytes.Repeat([]byte{7}, 32)))
	}
	if !strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("no warning logged on generation: %s", logs.String())
	}
	fi, err := os.Stat(keysFilePath(db))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("keys file mode = %v, want 0600", fi.Mode().Perm())
	}

	s2, err := loadYAML(t, "dev: true\ndatabase: {url: 'sqlite:"+db+"'}\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := loadKeyMaterial(s2, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s.encryptionKey, s2.encryptionKey) || !bytes.Equal(s.cookieHashKey, s2.cookieHashKey) {
		t.Error("second start generated new keys instead of reusing the file")
	}
	if len(s2.cookieBlockKey) != 32 || bytes.Equal(s2.cookieBlockKey, s.cookieBlockKey) {
		t.Error("cookie block key not taken from the keys file when the config sets none")
	}
}
