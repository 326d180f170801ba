package libcrypto_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"os"
	"sync"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/dingbridge/dingbridge/provider/libcrypto"
)

// requireLibcrypto skips the test where libcrypto cannot be loaded,
// unless DINGBRIDGE_REQUIRE_LIBCRYPTO is set (CI sets it), where that is a
// failure.
func requireLibcrypto(t testing.TB) {
	t.Helper()
	if _, err := libcrypto.Open(); err != nil {
		if os.Getenv("DINGBRIDGE_REQUIRE_LIBCRYPTO") != "" {
			t.Fatalf("DINGBRIDGE_REQUIRE_LIBCRYPTO is set: %v", err)
		}
		t.Skip(err)
	}
}

func newKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newSigner skips or fails as requireLibcrypto does, and returns a new
// key with its Signer.
func newSigner(t testing.TB) (*rsa.PrivateKey, *libcrypto.Signer) {
	t.Helper()
	requireLibcrypto(t)
	key := newKey(t)
	s, err := libcrypto.NewRS256(key)
	if err != nil {
		t.Fatal(err)
	}
	return key, s
}

// PKCS#1 v1.5 signatures are deterministic: libcrypto must produce the
// very bytes crypto/rsa produces, for payloads of every length.
func TestSignaturesEqualCryptoRSA(t *testing.T) {
	key, s := newSigner(t)
	for _, n := range []int{0, 1, 55, 56, 64, 1000, 70000} {
		payload := bytes.Repeat([]byte{byte(n)}, n)
		got, err := s.SignPayload(payload, jose.RS256)
		if err != nil {
			t.Fatal(err)
		}
		digest := sha256.Sum256(payload)
		want, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("payload of %d bytes: signature differs from crypto/rsa's", n)
		}
	}
}

// Through go-jose, the way the provider signs (a JSONWebKey wrapping the
// signer), the token carries the key ID and verifies with the public key.
func TestSignsJWSWithKeyID(t *testing.T) {
	key, s := newSigner(t)
	if pub, ok := s.Public().Key.(*rsa.PublicKey); !ok || !pub.Equal(&key.PublicKey) {
		t.Fatalf("Public().Key = %T, not the key's public half", s.Public().Key)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: s, KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign([]byte(`{"sub":"u1"}`))
	if err != nil {
		t.Fatal(err)
	}
	compact, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := jose.ParseSignedCompact(compact, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	if h := parsed.Signatures[0].Header; h.KeyID != "k1" || h.Algorithm != "RS256" {
		t.Fatalf("header kid %q alg %q, want k1 RS256", h.KeyID, h.Algorithm)
	}
	payload, err := parsed.Verify(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if string(payload) != `{"sub":"u1"}` {
		t.Fatalf("payload %q", payload)
	}
	other := newKey(t)
	if _, err := parsed.Verify(&other.PublicKey); err == nil {
		t.Fatal("verified with another key")
	}
}

func TestRefusesOtherAlgorithms(t *testing.T) {
	_, s := newSigner(t)
	for _, alg := range []jose.SignatureAlgorithm{jose.RS384, jose.PS256, jose.ES256} {
		if _, err := s.SignPayload([]byte("x"), alg); err == nil {
			t.Errorf("SignPayload(%s) signed", alg)
		}
		if _, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: s}, nil); !errors.Is(err, jose.ErrUnsupportedAlgorithm) {
			t.Errorf("NewSigner(%s) = %v, want ErrUnsupportedAlgorithm", alg, err)
		}
	}
}

// A key whose private exponent and CRT values do not belong to its
// modulus signs nothing that verifies, so NewRS256 refuses it.
func TestRefusesInconsistentKey(t *testing.T) {
	requireLibcrypto(t)
	key := newKey(t)
	bad := *key
	bad.D = new(big.Int).Add(key.D, big.NewInt(2))
	bad.Precomputed.Dp = new(big.Int).Add(key.Precomputed.Dp, big.NewInt(2))
	bad.Precomputed.Dq = new(big.Int).Add(key.Precomputed.Dq, big.NewInt(2))
	if _, err := libcrypto.NewRS256(&bad); err == nil {
		t.Fatal("an inconsistent key was accepted")
	}
	if _, err := libcrypto.NewRS256(nil); err == nil {
		t.Fatal("a nil key was accepted")
	}
	noCRT := *key
	noCRT.Precomputed = rsa.PrecomputedValues{}
	if _, err := libcrypto.NewRS256(&noCRT); err == nil {
		t.Fatal("a key without CRT values was accepted")
	}
}

func TestConcurrentSigning(t *testing.T) {
	key, s := newSigner(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 10 {
				payload := fmt.Appendf(nil, "goroutine %d token %d", g, i)
				sig, err := s.SignPayload(payload, jose.RS256)
				if err == nil {
					digest := sha256.Sum256(payload)
					err = rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, digest[:], sig)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// BenchmarkRS256 compares one RS256 signature through libcrypto with one
// through crypto/rsa.
func BenchmarkRS256(b *testing.B) {
	key, s := newSigner(b)
	payload := bytes.Repeat([]byte("x"), 600)
	b.Run("libcrypto", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.SignPayload(payload, jose.RS256); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("crypto-rsa", func(b *testing.B) {
		for b.Loop() {
			digest := sha256.Sum256(payload)
			if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
