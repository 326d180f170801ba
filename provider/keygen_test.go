package provider

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"io"
	"log/slog"
	"testing"
	"time"
)

// publicKeys are the public keys KeySet publishes, by key ID.
func publicKeys(t *testing.T, m *KeyManager) map[string]crypto.PublicKey {
	t.Helper()
	keys, err := m.KeySet(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]crypto.PublicKey{}
	for _, k := range keys {
		out[k.ID()] = k.Key()
	}
	return out
}

// equalPublic reports whether two public keys are the same key.
func equalPublic(a, b crypto.PublicKey) bool {
	e, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && e.Equal(b)
}

func keyManagerWithFirst(t *testing.T, alg string, first *KeyGeneration) *KeyManager {
	t.Helper()
	m, err := NewKeyManager(KeyConfig{
		Storage: newSQLite(t), EncryptionKey: testKeys.kek, Algorithm: alg,
		RotationPeriod: 720 * time.Hour, TokenLifetime: time.Hour, FirstKey: first,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: (&clock{}).Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestFirstKeyGeneratedAhead: a key generated ahead is the first key the
// manager stores and publishes, and only the first.
func TestFirstKeyGeneratedAhead(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256"} {
		t.Run(alg, func(t *testing.T) {
			g, err := GenerateKeyAhead(alg)
			if err != nil {
				t.Fatal(err)
			}
			g.Race()
			ahead, err := g.wait(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			m := keyManagerWithFirst(t, alg, g)
			id := signingID(t, m)
			if pub := publicKeys(t, m)[id]; !equalPublic(ahead.Public(), pub) {
				t.Fatalf("first key %s is not the key generated ahead", id)
			}
			if err := m.Rotate(t.Context()); err != nil {
				t.Fatal(err)
			}
			keys := publicKeys(t, m)
			if len(keys) != 2 {
				t.Fatalf("after Rotate: %d keys, want 2", len(keys))
			}
			for kid, pub := range keys {
				if kid != id && equalPublic(ahead.Public(), pub) {
					t.Fatal("the rotated key reuses the key generated ahead")
				}
			}
		})
	}
}

// TestFirstKeyOfAnotherAlgorithmIgnored: a key generated ahead for another
// algorithm is not used; the manager generates one of its own.
func TestFirstKeyOfAnotherAlgorithmIgnored(t *testing.T) {
	g, err := GenerateKeyAhead("ES256")
	if err != nil {
		t.Fatal(err)
	}
	m := keyManagerWithFirst(t, "RS256", g)
	id := signingID(t, m)
	if _, ok := publicKeys(t, m)[id].(*rsa.PublicKey); !ok {
		t.Fatalf("first key of an RS256 manager given an ES256 key ahead: %T", publicKeys(t, m)[id])
	}
}

func TestGenerateKeyAhead(t *testing.T) {
	if _, err := GenerateKeyAhead("HS256"); err == nil {
		t.Error("GenerateKeyAhead(HS256): no error")
	}
	g, err := GenerateKeyAhead("")
	if err != nil {
		t.Fatal(err)
	}
	k, err := g.wait(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if rk, ok := k.(*rsa.PrivateKey); !ok || rk.N.BitLen() != 2048 {
		t.Fatalf("default algorithm's key: %T", k)
	}
	g.Race() // finished: starts nothing, changes nothing
	if again, _ := g.wait(t.Context()); again != k {
		t.Error("Race after the key was ready replaced it")
	}

	e, err := GenerateKeyAhead("ES256")
	if err != nil {
		t.Fatal(err)
	}
	if k, err := e.wait(t.Context()); err != nil {
		t.Fatal(err)
	} else if _, ok := k.(*ecdsa.PrivateKey); !ok {
		t.Fatalf("ES256 key: %T", k)
	}

	// Waiting gives up with the context.
	pending := &KeyGeneration{done: make(chan struct{})}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := pending.wait(ctx); err == nil {
		t.Error("wait on a cancelled context: no error")
	}
}
