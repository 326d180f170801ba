package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/dingbridge/dingbridge/provider/libcrypto"
)

// jwtAccessToken gets a JWT access token by client_credentials and checks
// its signature against the JWKS.
func jwtAccessToken(t *testing.T, base string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/oauth/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("svc", "svc-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("token endpoint: %d %v", resp.StatusCode, err)
	}
	jws, err := jose.ParseSignedCompact(tok.AccessToken, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("access token is not an RS256 JWT: %v", err)
	}
	_, body, _ := get(t, base+"/keys")
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(body), &set); err != nil {
		t.Fatal(err)
	}
	keys := set.Key(jws.Signatures[0].Header.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q not in the JWKS", jws.Signatures[0].Header.KeyID)
	}
	if _, err := jws.Verify(keys[0]); err != nil {
		t.Fatalf("access token does not verify against the JWKS: %v", err)
	}
}

// keys.rsaSigner picks what signs RS256, says so in the log, and the
// tokens verify either way; openssl without libcrypto refuses to start.
func TestServeRSASigner(t *testing.T) {
	_, libErr := libcrypto.Open()
	if libErr != nil && os.Getenv("DINGBRIDGE_REQUIRE_LIBCRYPTO") != "" {
		t.Fatalf("DINGBRIDGE_REQUIRE_LIBCRYPTO is set: %v", libErr)
	}
	env, _ := sqliteEnv(t)
	dir := t.TempDir()
	env = with(env, "DINGBRIDGE_LOG_LEVEL", "info", "DINGBRIDGE_LOG_FORMAT", "json",
		"DINGBRIDGE_CONFIG", writeFile(t, dir, "dingbridge.yaml", `
clients:
  - id: svc
    secret: svc-secret
    grantTypes: [client_credentials]
    accessTokenFormat: jwt
`))
	for _, c := range []struct{ choice, want string }{
		{"go", `"rsa_signer":"go"`},
		{"auto", `"rsa_signer":"openssl"`},
		{"openssl", `"rsa_signer":"openssl"`},
	} {
		t.Run(c.choice, func(t *testing.T) {
			env := with(env, "DINGBRIDGE_KEYS_RSA_SIGNER", c.choice)
			if libErr != nil {
				switch c.choice {
				case "openssl":
					r := runCLI(t, env, "serve", "--listen", "127.0.0.1:0")
					if r.code == exitOK || !strings.Contains(r.stderr, "keys.rsaSigner is openssl") {
						t.Errorf("serve with openssl and no libcrypto: exit %d\n%s", r.code, r.stderr)
					}
					return
				case "auto":
					c.want = `"rsa_signer":"go"`
				}
			}
			base, stop := startServe(t, env)
			jwtAccessToken(t, base)
			code, logs := stop()
			if code != exitOK || !strings.Contains(logs, c.want) {
				t.Errorf("exit %d, log lacks %s:\n%s", code, c.want, logs)
			}
		})
	}
	r := runCLI(t, with(env, "DINGBRIDGE_KEYS_RSA_SIGNER", "boringssl"), "serve", "--listen", "127.0.0.1:0")
	if r.code == exitOK || !strings.Contains(r.stderr, "keys.rsaSigner") {
		t.Errorf("an unknown keys.rsaSigner: exit %d\n%s", r.code, r.stderr)
	}
}
