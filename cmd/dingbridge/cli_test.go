package main

import (
	"bytes"
	"flag"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// cliResult is what one run of the command line produced.
type cliResult struct {
	code           int
	stdout, stderr string
}

// runCLI runs the command line with env as the whole environment.
func runCLI(t *testing.T, env map[string]string, args ...string) cliResult {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(t.Context(), args, &out, &errOut, envMap(env))
	return cliResult{code, out.String(), errOut.String()}
}

// mustRun runs the command line and fails the test unless it exits 0.
func mustRun(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	r := runCLI(t, env, args...)
	if r.code != exitOK {
		t.Fatalf("dingbridge %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// sqliteEnv is an environment for a dev deployment on a fresh SQLite
// database; it returns the database path too.
func sqliteEnv(t *testing.T) (map[string]string, string) {
	t.Helper()
	db := filepath.Join(t.TempDir(), "bridge.db")
	return map[string]string{
		"DINGBRIDGE_DEV":          "true",
		"DINGBRIDGE_DATABASE_URL": "sqlite:" + db,
		"DINGBRIDGE_LOG_LEVEL":    "warn",
		"DINGBRIDGE_CONFIG":       writeFile(t, t.TempDir(), "empty.yaml", "# defaults and environment only\n"),
	}, db
}

func with(env map[string]string, kv ...string) map[string]string {
	out := maps.Clone(env)
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func TestHelpAndUsage(t *testing.T) {
	r := runCLI(t, nil, "help")
	if r.code != exitOK || !strings.Contains(r.stdout, "client rotate-secret") || !strings.Contains(r.stdout, "--config") {
		t.Errorf("help: exit %d, stdout:\n%s", r.code, r.stdout)
	}
	for _, c := range commands() {
		args := append(strings.Fields(c.name), "--help")
		r := runCLI(t, nil, args...)
		if r.code != exitOK {
			t.Errorf("%s --help: exit %d, stderr %s", c.name, r.code, r.stderr)
		}
		for _, want := range []string{"Usage: dingbridge " + c.name, "Flags:", "-config", "Example:\n  "} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("%s --help lacks %q:\n%s", c.name, want, r.stdout)
			}
		}
		if h := runCLI(t, nil, append([]string{"help"}, strings.Fields(c.name)...)...); h.stdout != r.stdout {
			t.Errorf("help %s differs from %s --help", c.name, c.name)
		}
	}
	if r := runCLI(t, nil, "client", "--help"); r.code != exitOK || !strings.Contains(r.stdout, "client create") {
		t.Errorf("client --help: exit %d, stdout %s", r.code, r.stdout)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "Commands:"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"migrate"}, "migrate up"},
		{[]string{"migrate", "sideways"}, `unknown command "migrate sideways"`},
		{[]string{"serve", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"client", "show"}, "want exactly one client ID"},
		{[]string{"version", "extra"}, "unexpected arguments: extra"},
	} {
		r := runCLI(t, nil, tc.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("dingbridge %q: exit %d (want 2), stderr lacks %q:\n%s", tc.args, r.code, tc.want, r.stderr)
		}
	}
}

func TestParseInterspersed(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		name       string
		positional []string
	}{
		{[]string{"--name", "a", "wiki"}, "a", []string{"wiki"}},
		{[]string{"wiki", "--name", "b"}, "b", []string{"wiki"}},
		{[]string{"x", "--name", "c", "y"}, "c", []string{"x", "y"}},
		{[]string{"--name", "d", "--", "--name", "e"}, "d", []string{"--name", "e"}},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		name := fs.String("name", "", "")
		pos, err := parseInterspersed(fs, tc.args)
		if err != nil || *name != tc.name || !slices.Equal(pos, tc.positional) {
			t.Errorf("parseInterspersed(%q) = %q, name %q, %v; want %q, name %q", tc.args, pos, *name, err, tc.positional, tc.name)
		}
	}
}

func TestConfigErrorsExit2(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "bad.yaml", "issuer: http://id.example.com\nkeys: {rotationPeriod: 3x}\nlistne: x\n")
	r := runCLI(t, nil, "--config", cfg, "migrate", "status")
	if r.code != exitUsage {
		t.Fatalf("exit %d, want 2; stderr %s", r.code, r.stderr)
	}
	for _, want := range []string{"issuer: must be https outside dev mode", `keys.rotationPeriod: invalid duration "3x"`, "listne: unknown key"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if r := runCLI(t, nil, "serve", "--config", filepath.Join(dir, "absent.yaml")); r.code != exitUsage || !strings.Contains(r.stderr, "config file:") {
		t.Errorf("absent explicit config: exit %d, stderr %s", r.code, r.stderr)
	}
}

func TestVersion(t *testing.T) {
	out := mustRun(t, nil, "version")
	if !strings.HasPrefix(out, "dingbridge ") || !strings.Contains(out, "go1.") {
		t.Errorf("version output = %q", out)
	}
}

func TestVersionFromLinker(t *testing.T) {
	oldV, oldC := version, commit
	t.Cleanup(func() { version, commit = oldV, oldC })
	version, commit = "v1.2.3", "0123abcd"
	out := mustRun(t, nil, "version")
	if !strings.HasPrefix(out, "dingbridge v1.2.3\ncommit 0123abcd\n") {
		t.Errorf("version output = %q", out)
	}
}

var secretRE = regexp.MustCompile(`(?m)^client_secret: (\S+)$`)

// secretFrom extracts the secret a create or rotate-secret printed.
func secretFrom(t *testing.T, out string) string {
	t.Helper()
	m := secretRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no client_secret in output:\n%s", out)
	}
	return m[1]
}
