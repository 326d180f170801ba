package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
	"github.com/dingbridge/dingbridge/internal/syncbuf"
	"github.com/dingbridge/dingbridge/storage/postgres/postgrestest"
)

// startServe runs "dingbridge serve" with env and returns the bound base URL
// and a function that stops it and returns its exit code and stderr.
func startServe(t *testing.T, env map[string]string, args ...string) (string, func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	addrs := make(chan net.Addr, 1)
	var stdout, stderr syncbuf.Buffer
	a := &app{stdout: &stdout, stderr: &stderr, getenv: envMap(env), onListen: func(addr net.Addr) { addrs <- addr }}
	done := make(chan int, 1)
	go func() { done <- a.run(ctx, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)) }()
	wait := sync.OnceValue(func() int { return <-done })
	select {
	case addr := <-addrs:
		stop := func() (int, string) {
			cancel()
			return wait(), stderr.String()
		}
		t.Cleanup(func() { stop() })
		return "http://" + addr.String(), stop
	case code := <-done:
		cancel()
		t.Fatalf("serve exited with %d before listening:\n%s", code, stderr.String())
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatalf("serve did not start listening:\n%s", stderr.String())
	}
	return "", nil
}

func get(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body), resp.Header
}

// checkServing asserts the probes and a complete discovery document for
// issuer, served from base.
func checkServing(t *testing.T, base, issuer, issuerPath string) {
	t.Helper()
	if code, body, _ := get(t, base+"/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body, _ := get(t, base+"/readyz"); code != 200 {
		t.Errorf("/readyz = %d %q", code, body)
	}
	code, body, hdr := get(t, base+issuerPath+"/.well-known/openid-configuration")
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Fatalf("discovery = %d %s: %s", code, hdr.Get("Content-Type"), body)
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatal(err)
	}
	if d["issuer"] != issuer {
		t.Errorf("discovery issuer = %v, want %s", d["issuer"], issuer)
	}
	for _, k := range []string{"authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
		"end_session_endpoint", "introspection_endpoint", "revocation_endpoint"} {
		if s, _ := d[k].(string); !strings.HasPrefix(s, issuer+"/") {
			t.Errorf("discovery %s = %v, want a URL under %s", k, d[k], issuer)
		}
	}
	for _, k := range []string{"scopes_supported", "claims_supported", "code_challenge_methods_supported",
		"token_endpoint_auth_methods_supported", "response_types_supported", "id_token_signing_alg_values_supported"} {
		if l, _ := d[k].([]any); len(l) == 0 {
			t.Errorf("discovery %s missing or empty", k)
		}
	}
	jwks, _ := d["jwks_uri"].(string)
	code, body, _ = get(t, base+strings.TrimPrefix(jwks, strings.TrimSuffix(issuer, issuerPath)))
	var ks struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &ks) != nil || len(ks.Keys) == 0 || ks.Keys[0].Kid == "" {
		t.Errorf("jwks = %d %s", code, body)
	}
}

func TestServeRefusesPendingMigrationsWithoutAutoMigrate(t *testing.T) {
	env, _ := sqliteEnv(t)
	r := runCLI(t, env, "serve", "--no-migrate", "--listen", "127.0.0.1:0")
	if r.code != exitRuntime || !strings.Contains(r.stderr, "migration(s) pending") || !strings.Contains(r.stderr, "dingbridge migrate up") {
		t.Errorf("serve --no-migrate on an empty database: exit %d, stderr %s", r.code, r.stderr)
	}
}

func TestServeSQLite(t *testing.T) {
	env, db := sqliteEnv(t)
	dir := t.TempDir()
	cfg := writeFile(t, dir, "dingbridge.yaml", `
dev: true
issuer: http://localhost:8080/dingbridge
log: {level: info, format: text}
shutdownTimeout: 5s
clients:
  - id: wiki
    name: Wiki
    secretFile: `+writeFile(t, dir, "wiki.secret", "wiki-secret\n")+`
    redirectURIs: [https://wiki.example.com/cb]
`)
	env = with(env, "DINGBRIDGE_CONFIG", cfg)
	delete(env, "DINGBRIDGE_LOG_LEVEL") // the file's info level applies
	base, stop := startServe(t, env)
	checkServing(t, base, "http://localhost:8080/dingbridge", "/dingbridge")
	code, logs := stop()
	if code != exitOK {
		t.Fatalf("serve exit %d:\n%s", code, logs)
	}
	for _, want := range []string{"msg=serving", "issuer=http://localhost:8080/dingbridge", "generated encryption and cookie keys", "msg=stopped"} {
		if !strings.Contains(logs, want) {
			t.Errorf("serve log lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "wiki-secret") {
		t.Error("serve logged a client secret")
	}

	c := storedClient(t, db, "wiki")
	if !c.Declarative || c.Name != "Wiki" {
		t.Errorf("declarative client stored as %+v", c)
	}
	for _, args := range [][]string{{"client", "delete", "wiki"}, {"client", "rotate-secret", "wiki"}, {"client", "update", "--name", "x", "wiki"}} {
		if r := runCLI(t, env, args...); r.code != exitRuntime || !strings.Contains(r.stderr, "managed by the configuration file") {
			t.Errorf("%q on a declarative client: exit %d stderr %s", args, r.code, r.stderr)
		}
	}

	// Second start: keys file reused (no new warning), migrations already
	// applied, the client dropped from the file is handed to the CLI.
	writeFile(t, dir, "dingbridge.yaml", "dev: true\nlog: {format: text}\n")
	base, stop = startServe(t, env, "--no-migrate")
	if code, _, _ := get(t, base+"/readyz"); code != 200 {
		t.Errorf("/readyz on second start = %d", code)
	}
	code, logs = stop()
	if code != exitOK || strings.Contains(logs, "generated encryption") || !strings.Contains(logs, "no longer in the configuration") {
		t.Errorf("second serve: exit %d, logs:\n%s", code, logs)
	}
	mustRun(t, env, "client", "delete", "wiki")
}

func TestServePostgres(t *testing.T) {
	url := postgrestest.URL(t)
	env := map[string]string{
		"DINGBRIDGE_CONFIG":              writeFile(t, t.TempDir(), "empty.yaml", ""),
		"DINGBRIDGE_ISSUER":              "http://127.0.0.1:8080",
		"DINGBRIDGE_DEV":                 "true",
		"DINGBRIDGE_DATABASE_URL":        url,
		"DINGBRIDGE_DATABASE_MAX_CONNS":  "4",
		"DINGBRIDGE_KEYS_ENCRYPTION_KEY": key(32),
		"DINGBRIDGE_KEYS_ALGORITHM":      "ES256",
		"DINGBRIDGE_COOKIES_HASH_KEY":    key(64),
		"DINGBRIDGE_COOKIES_BLOCK_KEY":   key(32),
		"DINGBRIDGE_LOG_LEVEL":           "warn",
	}
	base, stop := startServe(t, env)
	checkServing(t, base, "http://127.0.0.1:8080", "")
	if code, logs := stop(); code != exitOK {
		t.Fatalf("serve exit %d:\n%s", code, logs)
	}
	if out := mustRun(t, env, "migrate", "status"); strings.Contains(out, "pending") {
		t.Errorf("serve did not migrate Postgres:\n%s", out)
	}
	if out := mustRun(t, env, "keys", "list"); !strings.Contains(out, "ES256") || !strings.Contains(out, "active") {
		t.Errorf("keys list after serve:\n%s", out)
	}
}

func TestServeDingTalkLogin(t *testing.T) {
	dt := dingtalktest.NewServer()
	t.Cleanup(dt.Close)
	env, _ := sqliteEnv(t)
	dir := t.TempDir()
	cfg := writeFile(t, dir, "dingbridge.yaml", `
dev: true
dingtalk:
  endpoints: {oapi: '`+dt.URL+`', api: '`+dt.URL+`', login: '`+dt.URL+`'}
  suiteTicketPushTokenFile: `+writeFile(t, dir, "push", "push-token\n")+`
  corps:
    - corpId: `+dingtalktest.DemoCorpID+`
      name: Demo
      appKey: `+dingtalktest.DemoAppKey+`
      appSecretFile: `+writeFile(t, dir, "app", dingtalktest.DemoAppSecret)+`
      agentId: `+strconv.Itoa(dingtalktest.DemoAgentID)+`
  suites:
    - suiteKey: `+dingtalktest.DemoSuiteKey+`
      suiteSecret: `+dingtalktest.DemoSuiteSecret+`
      corps: [{corpId: `+dingtalktest.DemoCorp2ID+`}]
`)
	base, _ := startServe(t, with(env, "DINGBRIDGE_CONFIG", cfg))
	code, body, _ := get(t, base+"/dingtalk/login-config?corpId="+dingtalktest.DemoCorpID)
	if code != http.StatusOK || !strings.Contains(body, `"appKey":"`+dingtalktest.DemoAppKey+`"`) || strings.Contains(body, dingtalktest.DemoAppSecret) {
		t.Errorf("login-config = %d %s", code, body)
	}
	push := func(token string) int {
		req, _ := http.NewRequest(http.MethodPost, base+"/dingtalk/suite-ticket",
			strings.NewReader(`{"suiteKey":"`+dingtalktest.DemoSuiteKey+`","suiteTicket":"pushed"}`))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := push("wrong"); got == http.StatusNoContent {
		t.Error("suite ticket push accepted a wrong token")
	}
	if got := push("push-token"); got != http.StatusNoContent {
		t.Errorf("suite ticket push = %d, want 204", got)
	}
}

func TestServeWithoutDingTalkApps(t *testing.T) {
	env, _ := sqliteEnv(t)
	base, stop := startServe(t, with(env, "DINGBRIDGE_LOG_LEVEL", "info"))
	if code, _, _ := get(t, base+"/dingtalk/login-config?corpId=x"); code != http.StatusNotFound {
		t.Errorf("login-config without apps = %d, want 404", code)
	}
	if _, logs := stop(); !strings.Contains(logs, "no DingTalk app configured") {
		t.Errorf("no warning about the missing login step:\n%s", logs)
	}
}

// TestKeyAhead: serve generates the first signing key during migrations
// only on a database with no migration applied, and only when it migrates.
func TestKeyAhead(t *testing.T) {
	ctx := t.Context()
	db := database{driver: "sqlite", path: filepath.Join(t.TempDir(), "ahead.db"), autoMigrate: true}
	st, err := openStore(ctx, db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if g := keyAhead(ctx, st, false, "ES256"); g != nil {
		t.Error("keyAhead without autoMigrate started a key")
	}
	if g := keyAhead(ctx, st, true, "HS256"); g != nil {
		t.Error("keyAhead with an unsupported algorithm started a key")
	}
	if g := keyAhead(ctx, st, true, "ES256"); g == nil {
		t.Error("keyAhead on an empty database started no key")
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if g := keyAhead(ctx, st, true, "ES256"); g != nil {
		t.Error("keyAhead on a migrated database started a key")
	}
}
