package provider

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/zitadel/oidc/v3/pkg/op"
)

func testSealKey(b byte) [32]byte {
	var k [32]byte
	for i := range k {
		k[i] = b + byte(i)
	}
	return k
}

func TestTokenSealerRoundTrip(t *testing.T) {
	s := newTokenSealer(testSealKey(1))
	const plain = "at-4c8e9f5a1b2c3d4e5f60:3f1c9e0a-2b7d-4c8e-9f5a-1b2c3d4e5f60"
	a, err := s.Encrypt(plain)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Encrypt(plain)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatal("two seals of the same value are equal; the salt is not random")
	}
	if strings.Contains(a, ".") || strings.Contains(a, plain[:10]) {
		t.Fatalf("sealed token %q has a dot or shows its plaintext", a)
	}
	for _, tok := range []string{a, b} {
		got, err := s.Decrypt(tok)
		if err != nil || got != plain {
			t.Fatalf("Decrypt(%q) = %q, %v; want %q", tok, got, err, plain)
		}
	}
}

// A token issued before the sealed format (op's JWE under the same key)
// is still opened; op's unauthenticated AES-CFB format, which dingbridge
// never issued, is not.
func TestTokenSealerOpensJWEOfEarlierReleases(t *testing.T) {
	key := testSealKey(7)
	old, err := op.NewAES256GCMCrypto(key, "").Encrypt("at-1:sub-1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(old, ".") != 4 {
		t.Fatalf("JWE token %q has not five parts", old)
	}
	if got, err := newTokenSealer(key).Decrypt(old); err != nil || got != "at-1:sub-1" {
		t.Fatalf("Decrypt(JWE) = %q, %v", got, err)
	}
	if _, err := newTokenSealer(testSealKey(8)).Decrypt(old); err == nil {
		t.Fatal("a JWE token under another key was opened")
	}
	cfb, err := op.NewAESCrypto(key).Encrypt("at-1:sub-1")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := newTokenSealer(key).Decrypt(cfb); err == nil {
		t.Fatalf("an AES-CFB token was opened as %q", got)
	}
}

func TestTokenSealerRefusesForgeries(t *testing.T) {
	s := newTokenSealer(testSealKey(1))
	tok, err := s.Encrypt("at-1:sub-1")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		t.Fatal(err)
	}
	other, err := newTokenSealer(testSealKey(2)).Encrypt("at-1:sub-1")
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 0x01
		return base64.RawURLEncoding.EncodeToString(b)
	}
	cases := map[string]string{
		"another key":         other,
		"version changed":     flip(0),
		"salt changed":        flip(5),
		"ciphertext changed":  flip(sealHeader + 2),
		"tag changed":         flip(len(raw) - 1),
		"truncated":           base64.RawURLEncoding.EncodeToString(raw[:len(raw)-1]),
		"header only":         base64.RawURLEncoding.EncodeToString(raw[:sealHeader]),
		"empty":               "",
		"not base64":          "!!!!",
		"padded base64":       base64.URLEncoding.EncodeToString(raw) + "==",
		"JWS-shaped":          "eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
		"sealed, then suffix": tok + "A",
	}
	for name, v := range cases {
		if got, err := s.Decrypt(v); err == nil {
			t.Errorf("%s: Decrypt opened %q", name, got)
		}
	}
}

// BenchmarkAccessTokenSeal seals and opens an opaque access token, as a
// login's token request and its userinfo request do; "jwe" is op's
// default format, which tokens had before.
func BenchmarkAccessTokenSeal(b *testing.B) {
	const plain = "at-4c8e9f5a1b2c3d4e5f60a1b2:3f1c9e0a-2b7d-4c8e-9f5a-1b2c3d4e5f60"
	for name, c := range map[string]op.Crypto{
		"sealed": newTokenSealer(testSealKey(1)),
		"jwe":    op.NewAES256GCMCrypto(testSealKey(1), ""),
	} {
		b.Run(name, func(b *testing.B) {
			defer reportCPU(b)()
			for b.Loop() {
				tok, err := c.Encrypt(plain)
				if err != nil {
					b.Fatal(err)
				}
				if got, err := c.Decrypt(tok); err != nil || got != plain {
					b.Fatal(got, err)
				}
			}
		})
	}
}
