package main

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jmespath/go-jmespath"
	"gopkg.in/yaml.v3"

	"github.com/dingbridge/dingbridge/storage/postgres/postgrestest"
)

// The container deployment cannot run here (no Docker), so these tests
// check what can be checked without it: the compose files parse, every
// file they reference exists, every dingbridge command and variable they
// use exists, and the configurations they mount load and validate with the
// secrets they mount.

const repoRoot = "../.."

// composeFile is the part of a compose file the tests read.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Secrets  map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Build       string            `yaml:"build"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	Secrets     []string          `yaml:"secrets"`
	NetworkMode string            `yaml:"network_mode"`
	Healthcheck struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
}

func readCompose(t *testing.T, path string) composeFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(c.Services) == 0 {
		t.Fatalf("%s: no services", path)
	}
	return c
}

// interpolate resolves compose's ${VAR:-default} and ${VAR:?message}
// (the latter with a stand-in value).
func interpolate(s string) string {
	return regexp.MustCompile(`\$\{[A-Z_]+(:-([^}]*)|:\?[^}]*)?\}`).ReplaceAllStringFunc(s, func(m string) string {
		if _, def, ok := strings.Cut(m, ":-"); ok {
			return strings.TrimSuffix(def, "}")
		}
		return "stand-in"
	})
}

// knownEnv is every variable dingbridge reads.
func knownEnv() map[string]bool {
	cfg := defaultConfig()
	cfg.Clients = make([]ClientConfig, 4)
	cfg.DingTalk.Corps = []DingTalkCorpConfig{{}}
	cfg.DingTalk.Suites = []DingTalkSuiteConfig{{Corps: []DingTalkSuiteCorpConfig{{}}}}
	cfg.DingTalk.LoginApps = []DingTalkLoginAppConfig{{}}
	known := map[string]bool{"DINGBRIDGE_CONFIG": true}
	for _, f := range scalarFields(&cfg) {
		known[f.env] = true
	}
	return known
}

// secretsFromScript lists the files generate-secrets.sh writes.
func secretsFromScript(t *testing.T, script string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^(?:gen|placeholder) ([a-z0-9-]+)`).FindAllStringSubmatch(string(b), -1) {
		out["./secrets/"+m[1]] = true
	}
	return out
}

// TestComposeFiles checks both compose files and loads the configuration
// each dingbridge service mounts, with the service's environment and
// secrets.
func TestComposeFiles(t *testing.T) {
	for _, tc := range []struct {
		name, path string
		generated  map[string]bool // secret files a script creates
	}{
		{"demo", filepath.Join(repoRoot, "docker-compose.yml"), nil},
		{"replicas", filepath.Join(repoRoot, "examples/replicas/docker-compose.yml"),
			secretsFromScript(t, filepath.Join(repoRoot, "examples/replicas/generate-secrets.sh"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := readCompose(t, tc.path)
			dir := filepath.Dir(tc.path)
			exists := func(what, rel string) {
				if tc.generated[rel] {
					return
				}
				if _, err := os.Stat(filepath.Join(dir, rel)); err != nil {
					t.Errorf("%s %s: %v", what, rel, err)
				}
			}
			for name, s := range c.Secrets {
				exists("secret "+name, s.File)
			}
			known := knownEnv()
			dingbridgeServices := 0
			for name, svc := range c.Services {
				if svc.Build != "" {
					exists("build context of "+name, filepath.Join(svc.Build, "Dockerfile"))
				}
				for _, v := range svc.Volumes {
					if src, _, ok := strings.Cut(v, ":"); ok && strings.HasPrefix(src, ".") {
						exists("volume of "+name, src)
					}
				}
				for _, s := range svc.Secrets {
					if _, ok := c.Secrets[s]; !ok {
						t.Errorf("service %s uses undeclared secret %s", name, s)
					}
				}
				if svc.Image != "dingbridge:local" {
					continue
				}
				dingbridgeServices++
				checkCommand(t, name, svc.Command)
				if hc := svc.Healthcheck.Test; len(hc) > 0 {
					if len(hc) < 3 || hc[0] != "CMD" || hc[1] != "/dingbridge" {
						t.Errorf("service %s: health check %q does not run the binary", name, hc)
					} else {
						checkCommand(t, name+" healthcheck", hc[2:])
					}
				}
				for k := range svc.Environment {
					if strings.HasPrefix(k, "DINGBRIDGE_") && !known[k] {
						t.Errorf("service %s: %s is not a dingbridge variable", name, k)
					}
				}
				if svc.Environment["DINGBRIDGE_CONFIG"] != "" {
					checkMountedConfig(t, dir, name, svc, c, tc.generated)
				}
			}
			if dingbridgeServices == 0 {
				t.Error("no dingbridge service")
			}
		})
	}
}

// checkCommand asserts args name a dingbridge command whose flags parse.
func checkCommand(t *testing.T, service string, args []string) {
	t.Helper()
	if len(args) == 0 {
		return // the image's CMD, serve
	}
	r := runCLI(t, nil, append(slices.Clone(args), "--help")...)
	if r.code != exitOK {
		t.Errorf("service %s: dingbridge %q is not a valid command line: %s", service, args, r.stderr)
	}
}

// checkMountedConfig loads the configuration svc mounts at
// DINGBRIDGE_CONFIG with svc's environment, reading /run/secrets/NAME from
// the compose file's secret NAME (or a generated stand-in when a script
// creates it).
func checkMountedConfig(t *testing.T, dir, name string, svc composeService, c composeFile, generated map[string]bool) {
	t.Helper()
	target := svc.Environment["DINGBRIDGE_CONFIG"]
	var src string
	for _, v := range svc.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 && parts[1] == target {
			src = filepath.Join(dir, parts[0])
		}
	}
	if src == "" {
		t.Errorf("service %s: DINGBRIDGE_CONFIG %s is not mounted", name, target)
		return
	}
	yml, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	for _, m := range regexp.MustCompile(`/run/secrets/([a-z0-9-]+)`).FindAllStringSubmatch(string(yml), -1) {
		secret := m[1]
		if !slices.Contains(svc.Secrets, secret) {
			t.Errorf("service %s: %s reads /run/secrets/%s, which the service does not mount", name, src, secret)
			continue
		}
		file := c.Secrets[secret].File
		var content []byte
		if generated[file] {
			content = []byte(standInSecret(secret))
		} else if content, err = os.ReadFile(filepath.Join(dir, file)); err != nil {
			t.Fatal(err)
		}
		writeFile(t, tmp, secret, string(content))
	}
	yml = bytes.ReplaceAll(yml, []byte("/run/secrets/"), []byte(tmp+"/"))
	env := map[string]string{}
	for k, v := range svc.Environment {
		if k != "DINGBRIDGE_CONFIG" {
			env[k] = interpolate(v)
		}
	}
	cfg, probs := loadConfig(writeFile(t, tmp, "dingbridge.yaml", string(yml)), true, envMap(env))
	s, err := validate(cfg, probs)
	if err != nil {
		t.Errorf("service %s: %s does not validate: %v", name, src, err)
		return
	}
	if s.db.driver != "postgres" {
		t.Errorf("service %s: database driver %q, want postgres", name, s.db.driver)
	}
}

// standInSecret is a value of the right shape for a secret that
// generate-secrets.sh creates.
func standInSecret(name string) string {
	switch {
	case name == "dingbridge-cookie-hash-key":
		return key(64)
	case strings.HasPrefix(name, "dingbridge-"):
		return key(32)
	case name == "dingtalk-app-secret":
		return strings.Repeat("s", 64)
	default:
		return base64.StdEncoding.EncodeToString([]byte("stand-in " + name))
	}
}

// TestProductionExampleIsValid loads examples/production/dingbridge.yaml
// with its secret files present.
func TestProductionExampleIsValid(t *testing.T) {
	yml, err := os.ReadFile(filepath.Join(repoRoot, "examples/production/dingbridge.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	for _, m := range regexp.MustCompile(`/run/secrets/([a-z0-9-]+)`).FindAllStringSubmatch(string(yml), -1) {
		writeFile(t, tmp, m[1], standInSecret(m[1]))
	}
	yml = bytes.ReplaceAll(yml, []byte("/run/secrets/"), []byte(tmp+"/"))
	cfg, probs := loadConfig(writeFile(t, tmp, "dingbridge.yaml", string(yml)), true, envMap(nil))
	s, err := validate(cfg, probs)
	if err != nil {
		t.Fatalf("examples/production/dingbridge.yaml: %v", err)
	}
	var ids []string
	for _, c := range s.clients {
		ids = append(ids, c.client.ID)
	}
	if want := []string{"grafana", "keycloak", "oauth2-proxy"}; !slices.Equal(ids, want) {
		t.Errorf("clients %q, want %q", ids, want)
	}
	if r := s.dingtalk.registry; r == nil || len(r.Corps) != 1 || len(r.Suites) != 1 || s.dingtalk.pushToken == "" {
		t.Error("dingtalk section: want one internal app, one suite and the suite ticket push token")
	}
}

// TestComposeDemoConfigServes starts serve with the demo configuration of
// docker-compose.yml on PostgreSQL, as the container does.
func TestComposeDemoConfigServes(t *testing.T) {
	c := readCompose(t, filepath.Join(repoRoot, "docker-compose.yml"))
	svc := c.Services["dingbridge"]
	yml, err := os.ReadFile(filepath.Join(repoRoot, "examples/compose/dingbridge.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	secrets, err := filepath.Abs(filepath.Join(repoRoot, "examples/compose/secrets"))
	if err != nil {
		t.Fatal(err)
	}
	yml = bytes.ReplaceAll(yml, []byte("/run/secrets/"), []byte(secrets+"/"))
	env := map[string]string{
		"DINGBRIDGE_CONFIG":           writeFile(t, t.TempDir(), "dingbridge.yaml", string(yml)),
		"DINGBRIDGE_DATABASE_URL":     postgrestest.URL(t),
		"DINGBRIDGE_CLIENTS_0_SECRET": interpolate(svc.Environment["DINGBRIDGE_CLIENTS_0_SECRET"]),
		"DINGBRIDGE_LOG_LEVEL":        "warn",
	}
	base, stop := startServe(t, env)
	checkServing(t, base, "http://localhost:8080", "")
	if code, logs := stop(); code != exitOK {
		t.Fatalf("serve exit %d:\n%s", code, logs)
	}
}

// grafanaINI returns the [auth.generic_oauth] keys of docs/grafana.md.
func grafanaINI(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "docs/grafana.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```ini\n(.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatal("docs/grafana.md: no ini block")
	}
	_, block, ok := strings.Cut(string(m[1]), "[auth.generic_oauth]\n")
	if !ok {
		t.Fatal("docs/grafana.md: no [auth.generic_oauth] section")
	}
	out := map[string]string{}
	for _, line := range strings.Split(block, "\n") {
		if k, v, ok := strings.Cut(line, " = "); ok && !strings.HasPrefix(k, "#") {
			out[k] = v
		}
	}
	return out
}

// TestGrafanaGuideMatchesCompose checks that the demo's Grafana runs the
// guide's [auth.generic_oauth] settings (on localhost), and that the
// guide's role expression maps DingTalk claims as the guide says.
func TestGrafanaGuideMatchesCompose(t *testing.T) {
	ini := grafanaINI(t)
	env := readCompose(t, filepath.Join(repoRoot, "docker-compose.yml")).Services["grafana"].Environment
	local := strings.NewReplacer(
		"https://id.example.com", "http://localhost:8080",
		"https%3A%2F%2Fgrafana.example.com", "http%3A%2F%2Flocalhost%3A3000",
	)
	for _, k := range []string{"enabled", "name", "client_id", "scopes", "auth_url", "token_url", "api_url",
		"auth_style", "use_pkce", "use_refresh_token", "email_attribute_path", "login_attribute_path",
		"name_attribute_path", "groups_attribute_path", "role_attribute_path", "allow_sign_up", "signout_redirect_url"} {
		want, ok := ini[k]
		if !ok {
			t.Errorf("docs/grafana.md: [auth.generic_oauth] lacks %s", k)
			continue
		}
		if got := env["GF_AUTH_GENERIC_OAUTH_"+strings.ToUpper(k)]; got != local.Replace(want) {
			t.Errorf("compose GF_AUTH_GENERIC_OAUTH_%s = %q, guide says %q", strings.ToUpper(k), got, want)
		}
	}

	expr, err := jmespath.Compile(ini["role_attribute_path"])
	if err != nil {
		t.Fatalf("role_attribute_path: %v", err)
	}
	for _, tc := range []struct {
		name   string
		claims map[string]any
		want   string
	}{
		{"corp admin", map[string]any{"roles": []any{"admin"}, "groups": []any{"研发部"}}, "Admin"},
		{"研发部 member", map[string]any{"roles": []any{}, "groups": []any{"研发部", "市场部"}}, "Editor"},
		{"boss elsewhere", map[string]any{"roles": []any{"boss"}, "groups": []any{"市场部"}}, "Viewer"},
		// dingbridge releases roles and groups as arrays, empty when the
		// person has none.
		{"no roles, no groups", map[string]any{"roles": []any{}, "groups": []any{}}, "Viewer"},
	} {
		got, err := expr.Search(tc.claims)
		if err != nil || got != tc.want {
			t.Errorf("%s: role_attribute_path = %v, %v; want %s", tc.name, got, err, tc.want)
		}
	}
}
