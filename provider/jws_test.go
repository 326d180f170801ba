package provider

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	zcrypto "github.com/zitadel/oidc/v3/pkg/crypto"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/dingbridge/dingbridge/provider/libcrypto"
)

// TestSignJWT checks that signJWT writes what op's go-jose signer writes
// for each key the provider signs with: the same protected header, a
// signature that go-jose verifies with the public key, and, where the
// signature is deterministic (RSASSA-PKCS1-v1_5), the very same token.
func TestSignJWT(t *testing.T) {
	payload := []byte(`{"iss":"https://id.example.com","sub":"3f1c9e0a","aud":["grafana"],"exp":1795000000,"nonce":"n-<&>"}`)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	type keyCase struct {
		name          string
		alg           jose.SignatureAlgorithm
		key, public   any
		direct        bool
		deterministic bool
	}
	cases := []keyCase{
		{"RS256", jose.RS256, rsaKey, &rsaKey.PublicKey, true, true},
		{"ES256", jose.ES256, ecKey, &ecKey.PublicKey, true, false},
		{"ES384 through go-jose", jose.ES384, p384, &p384.PublicKey, false, false},
		{"EdDSA through go-jose", jose.EdDSA, edKey, edKey.Public(), false, true},
		{"RS512 through go-jose", jose.RS512, rsaKey, &rsaKey.PublicKey, false, true},
	}
	if lc, err := libcrypto.NewRS256(rsaKey); err == nil {
		cases = append(cases, keyCase{"RS256 libcrypto", jose.RS256, lc, &rsaKey.PublicKey, true, true})
	} else if !errors.Is(err, libcrypto.ErrUnavailable) {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key := signingKey{id: "Kq3v-9xTzB1mW0aE", alg: c.alg, key: c.key}
			if got := directSigner(c.alg, c.key) != nil; got != c.direct {
				t.Fatalf("signed directly: %v, want %v", got, c.direct)
			}
			got, err := signJWT(key, payload)
			if err != nil {
				t.Fatal(err)
			}
			signer, err := op.SignerFromKey(key)
			if err != nil {
				t.Fatal(err)
			}
			want, err := zcrypto.SignPayload(payload, signer)
			if err != nil {
				t.Fatal(err)
			}
			gotParts, wantParts := strings.Split(got, "."), strings.Split(want, ".")
			if len(gotParts) != 3 {
				t.Fatalf("%d parts in %q", len(gotParts), got)
			}
			if gotParts[0] != wantParts[0] || gotParts[1] != wantParts[1] {
				t.Errorf("header and payload %q.%q, go-jose writes %q.%q", gotParts[0], gotParts[1], wantParts[0], wantParts[1])
			}
			if c.deterministic && got != want {
				t.Errorf("token differs from go-jose's:\n%s\n%s", got, want)
			}
			jws, err := jose.ParseSignedCompact(got, []jose.SignatureAlgorithm{c.alg})
			if err != nil {
				t.Fatal(err)
			}
			h := jws.Signatures[0].Header
			if h.Algorithm != string(c.alg) || h.KeyID != key.id || h.ExtraHeaders[jose.HeaderType] != "JWT" {
				t.Errorf("header %+v", h)
			}
			verified, err := jws.Verify(c.public)
			if err != nil {
				t.Fatalf("go-jose does not verify the token: %v", err)
			}
			if string(verified) != string(payload) {
				t.Errorf("payload %q", verified)
			}
		})
	}
}
