package provider

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// countingSigner is an RSASigner's signer that signs with crypto/rsa and
// counts its signatures.
type countingSigner struct {
	key *rsa.PrivateKey
	n   *atomic.Int64
}

func (s countingSigner) Public() *jose.JSONWebKey {
	return &jose.JSONWebKey{Key: &s.key.PublicKey, Algorithm: string(jose.RS256), Use: "sig"}
}

func (s countingSigner) Algs() []jose.SignatureAlgorithm {
	return []jose.SignatureAlgorithm{jose.RS256}
}

func (s countingSigner) SignPayload(payload []byte, alg jose.SignatureAlgorithm) ([]byte, error) {
	if alg != jose.RS256 {
		return nil, errors.New("unsupported algorithm")
	}
	s.n.Add(1)
	d := sha256.Sum256(payload)
	return rsa.SignPKCS1v15(nil, s.key, crypto.SHA256, d[:])
}

// With an RSASigner, every key the provider signs with, created or
// loaded from storage, goes through it: the ID token and the token
// endpoint's response are signed there and verify against the JWKS.
func TestRSASignerSignsTokens(t *testing.T) {
	s := newSQLite(t)
	var handed, signed atomic.Int64
	withSigner := func(c *Config) {
		c.RSASigner = func(k *rsa.PrivateKey) (jose.OpaqueSigner, error) {
			handed.Add(1)
			return countingSigner{key: k, n: &signed}, nil
		}
	}
	for i, name := range []string{"creates the key", "loads the stored key"} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, s, withSigner)
			if got := handed.Load(); got != int64(i+1) {
				t.Fatalf("RSASigner given %d keys, want %d", got, i+1)
			}
			c := e.addClient("web"+name[:1], nil)
			before := signed.Load()
			tok := e.tokensFor(t, nil, c, nil)
			if got := signed.Load() - before; got != 1 {
				t.Errorf("%d signatures through the RSASigner for one token response, want 1", got)
			}
			jws, err := jose.ParseSignedCompact(tok["id_token"].(string), []jose.SignatureAlgorithm{jose.RS256})
			if err != nil {
				t.Fatal(err)
			}
			set, _ := e.jwks(t)
			keys := set.Key(jws.Signatures[0].Header.KeyID)
			if len(keys) != 1 {
				t.Fatalf("kid %q: %d keys in the JWKS", jws.Signatures[0].Header.KeyID, len(keys))
			}
			if _, err := jws.Verify(keys[0]); err != nil {
				t.Fatalf("ID token does not verify against the JWKS: %v", err)
			}
		})
	}
}

// An RSASigner that gives no signer leaves the key to crypto/rsa; one
// that fails makes the start fail, naming the key.
func TestRSASignerFallbackAndFailure(t *testing.T) {
	s := newSQLite(t)
	e := newEnv(t, s, func(c *Config) {
		c.RSASigner = func(*rsa.PrivateKey) (jose.OpaqueSigner, error) { return nil, nil }
	})
	k, err := e.p.keys.SigningKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := k.Key().(*rsa.PrivateKey); !ok {
		t.Fatalf("signing key is %T, want *rsa.PrivateKey", k.Key())
	}
	e.tokensFor(t, nil, e.addClient("web", nil), nil)

	cfg := e.cfg
	cfg.RSASigner = func(*rsa.PrivateKey) (jose.OpaqueSigner, error) { return nil, errors.New("no libcrypto here") }
	if _, err := New(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "no libcrypto here") ||
		!strings.Contains(err.Error(), k.ID()) {
		t.Fatalf("New with a failing RSASigner: %v", err)
	}
}
