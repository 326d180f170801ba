package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/dingbridge/dingbridge/provider"
	"github.com/dingbridge/dingbridge/storage"
	"github.com/dingbridge/dingbridge/storage/sqlite"
)

// storedClient opens the SQLite database directly and loads a client.
func storedClient(t *testing.T, db, id string) storage.Client {
	t.Helper()
	st, err := sqlite.Open(t.Context(), db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := st.GetClient(t.Context(), id)
	if err != nil {
		t.Fatalf("GetClient(%q): %v", id, err)
	}
	return c
}

func TestMigrateUpAndStatus(t *testing.T) {
	env, _ := sqliteEnv(t)
	before := mustRun(t, env, "migrate", "status")
	if !strings.HasPrefix(before, "NAME") || !strings.Contains(before, "0001_init.sql") || !strings.Contains(before, "pending") || strings.Contains(before, "applied ") {
		t.Errorf("status before up:\n%s", before)
	}
	if out := mustRun(t, env, "migrate", "up"); !strings.Contains(out, "up to date") {
		t.Errorf("migrate up output: %s", out)
	}
	after := mustRun(t, env, "migrate", "status")
	if strings.Contains(after, "pending") || !strings.Contains(after, "applied") {
		t.Errorf("status after up:\n%s", after)
	}
	if out := mustRun(t, env, "migrate", "up"); !strings.Contains(out, "applied 0 migration(s)") {
		t.Errorf("second migrate up output: %s", out)
	}
}

func TestClientLifecycle(t *testing.T) {
	env, db := sqliteEnv(t)
	mustRun(t, env, "migrate", "up")

	out := mustRun(t, env, "client", "create", "--name", "Wiki", "--redirect-uri", "https://wiki.example.com/cb",
		"--redirect-uri", "https://wiki.example.com/cb2", "--email", "org", "wiki")
	secret := secretFrom(t, out)
	if !strings.Contains(out, "shown only this once") {
		t.Errorf("create does not warn to store the secret:\n%s", out)
	}
	c := storedClient(t, db, "wiki")
	if !bytes.Equal(c.SecretHash, provider.HashClientSecret(secret)) {
		t.Fatal("stored hash does not match the printed secret")
	}
	if c.Name != "Wiki" || len(c.RedirectURIs) != 2 || c.Policy.Email != "org" || c.Declarative || c.ApplicationType != "web" {
		t.Errorf("stored client = %+v", c)
	}
	if r := runCLI(t, env, "client", "create", "--redirect-uri", "https://x/cb", "wiki"); r.code != exitRuntime || !strings.Contains(r.stderr, "already exists") {
		t.Errorf("duplicate create: exit %d stderr %s", r.code, r.stderr)
	}
	if r := runCLI(t, env, "client", "create", "--redirect-uri", "http://evil.example.com/cb", "bad"); r.code != exitUsage || !strings.Contains(r.stderr, "http is only allowed for loopback") {
		t.Errorf("invalid create: exit %d stderr %s", r.code, r.stderr)
	}

	pub := mustRun(t, env, "client", "create", "--public", "--redirect-uri", "http://127.0.0.1/cb", "spa")
	if strings.Contains(pub, "client_secret") {
		t.Errorf("public client got a secret:\n%s", pub)
	}
	if c := storedClient(t, db, "spa"); !c.Public || len(c.SecretHash) != 0 || c.ApplicationType != "user_agent" {
		t.Errorf("public client stored as %+v", c)
	}

	list := mustRun(t, env, "client", "list")
	if !strings.HasPrefix(list, "ID") || !strings.Contains(list, "wiki") || !strings.Contains(list, "spa") || !strings.Contains(list, "public/user_agent") {
		t.Errorf("client list:\n%s", list)
	}

	show := mustRun(t, env, "client", "show", "wiki")
	if !strings.Contains(show, "https://wiki.example.com/cb2") || !strings.Contains(show, "set (hidden)") {
		t.Errorf("client show:\n%s", show)
	}
	assertNoSecret(t, show, secret, c.SecretHash)

	mustRun(t, env, "client", "update", "wiki", "--name", "Team wiki")
	c2 := storedClient(t, db, "wiki")
	if c2.Name != "Team wiki" || len(c2.RedirectURIs) != 2 || c2.Policy.Email != "org" || !bytes.Equal(c2.SecretHash, c.SecretHash) {
		t.Errorf("update changed more than the name: %+v", c2)
	}
	if r := runCLI(t, env, "client", "update", "wiki"); r.code != exitUsage {
		t.Errorf("update without flags: exit %d", r.code)
	}

	rot := mustRun(t, env, "client", "rotate-secret", "wiki")
	newSecret := secretFrom(t, rot)
	c3 := storedClient(t, db, "wiki")
	if newSecret == secret || bytes.Equal(c3.SecretHash, provider.HashClientSecret(secret)) {
		t.Error("old secret still matches the stored hash after rotate-secret")
	}
	if !bytes.Equal(c3.SecretHash, provider.HashClientSecret(newSecret)) {
		t.Error("new secret does not match the stored hash")
	}
	if r := runCLI(t, env, "client", "rotate-secret", "spa"); r.code != exitRuntime || !strings.Contains(r.stderr, "public") {
		t.Errorf("rotate-secret of a public client: exit %d stderr %s", r.code, r.stderr)
	}

	mustRun(t, env, "client", "delete", "wiki")
	if r := runCLI(t, env, "client", "show", "wiki"); r.code != exitRuntime || !strings.Contains(r.stderr, `client "wiki" not found`) {
		t.Errorf("show after delete: exit %d stderr %s", r.code, r.stderr)
	}
	if r := runCLI(t, env, "client", "delete", "wiki"); r.code != exitRuntime {
		t.Errorf("second delete: exit %d", r.code)
	}
}

// assertNoSecret fails if out shows the secret or its digest in any common
// encoding.
func assertNoSecret(t *testing.T, out, secret string, hash []byte) {
	t.Helper()
	for _, s := range []string{secret, string(hash), hex.EncodeToString(hash), base64.StdEncoding.EncodeToString(hash), base64.RawURLEncoding.EncodeToString(hash)} {
		if s != "" && strings.Contains(out, s) {
			t.Errorf("output shows the secret or its hash:\n%s", out)
		}
	}
}

func TestKeysListAndRotate(t *testing.T) {
	env, db := sqliteEnv(t)
	mustRun(t, env, "migrate", "up")
	if empty := mustRun(t, env, "keys", "list"); strings.Count(empty, "\n") != 1 || !strings.HasPrefix(empty, "KID") {
		t.Fatalf("keys list on an empty store:\n%s", empty)
	}
	rotated := mustRun(t, env, "keys", "rotate")
	lines := strings.Split(strings.TrimSpace(rotated), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "RS256") || !regexp.MustCompile(`\s(next|active)\s`).MatchString(lines[1]) {
		t.Fatalf("keys rotate on an empty store:\n%s", rotated)
	}
	kid := strings.Fields(lines[1])[0]
	if list := mustRun(t, env, "keys", "list"); !strings.Contains(list, kid) {
		t.Errorf("keys list lacks the rotated key %s:\n%s", kid, list)
	}
	if _, err := os.Stat(keysFilePath(db)); err != nil {
		t.Errorf("keys commands did not leave the generated keys file: %v", err)
	}
}
