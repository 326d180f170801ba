package provider

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"sync"

	jose "github.com/go-jose/go-jose/v4"
)

// KeyGeneration is a signing key being generated in the background.
// Generating an RSA-2048 key takes tens to hundreds of milliseconds (the
// prime search is random), which a first start on an empty database would
// otherwise add to its time to ready; cmd starts one while it migrates a
// fresh schema and hands it to the provider (Config.FirstKey), which uses
// it for the first key it creates.
type KeyGeneration struct {
	alg  jose.SignatureAlgorithm
	done chan struct{}
	once sync.Once
	// signer and err are set once, before done is closed.
	signer crypto.Signer
	err    error
}

// GenerateKeyAhead starts generating a key for algorithm ("RS256", the
// default, or "ES256") and returns at once.
func GenerateKeyAhead(algorithm string) (*KeyGeneration, error) {
	alg, err := signingAlgorithm(algorithm)
	if err != nil {
		return nil, err
	}
	g := &KeyGeneration{alg: alg, done: make(chan struct{})}
	go g.attempt()
	return g, nil
}

// Race starts a second, independent generation of the same kind of key
// unless the first has finished; the key that is ready first is the one
// used. The time an RSA prime search takes varies widely from one search
// to the next, so two searches side by side bound the wait better than
// one. The slower search runs to its end and is dropped (crypto/rsa
// cannot be stopped), which costs CPU once, at a first start. cmd calls
// it once migrating no longer occupies the machine.
func (g *KeyGeneration) Race() {
	if g.alg != jose.RS256 {
		return // an ECDSA key takes microseconds
	}
	select {
	case <-g.done:
	default:
		go g.attempt()
	}
}

func (g *KeyGeneration) attempt() {
	signer, err := newSigningKey(g.alg)
	g.once.Do(func() {
		g.signer, g.err = signer, err
		close(g.done)
	})
}

// wait returns the generated key once one is ready.
func (g *KeyGeneration) wait(ctx context.Context) (crypto.Signer, error) {
	select {
	case <-g.done:
		return g.signer, g.err
	case <-ctx.Done():
		return nil, fmt.Errorf("generate signing key: %w", ctx.Err())
	}
}

// signingAlgorithm parses a configured signing algorithm.
func signingAlgorithm(s string) (jose.SignatureAlgorithm, error) {
	switch s {
	case "", "RS256":
		return jose.RS256, nil
	case "ES256":
		return jose.ES256, nil
	}
	return "", fmt.Errorf("unsupported signing algorithm %q", s)
}

// newSigningKey generates a private key for alg: P-256 for ES256, RSA
// with a 2048-bit modulus for RS256.
func newSigningKey(alg jose.SignatureAlgorithm) (crypto.Signer, error) {
	var (
		signer crypto.Signer
		err    error
	)
	switch alg {
	case jose.ES256:
		signer, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		signer, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	return signer, nil
}
