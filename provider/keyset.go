package provider

import (
	"context"
	"errors"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// SigningKey returns the key that signs now, creating the first key when
// there is none.
func (m *KeyManager) SigningKey(ctx context.Context) (op.SigningKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.freshLocked(ctx); err != nil {
		return nil, err
	}
	k, ok := m.activeLocked(m.now())
	if !ok {
		if err := m.ensureLocked(ctx); err != nil {
			return nil, err
		}
		if k, ok = m.activeLocked(m.now()); !ok {
			return nil, errors.New("no signing key available")
		}
	}
	s, err := m.signerLocked(k)
	if err != nil {
		return nil, err
	}
	return signingKey{id: k.ID, alg: jose.SignatureAlgorithm(k.Algorithm), key: s}, nil
}

// KeySet returns the published public keys.
func (m *KeyManager) KeySet(ctx context.Context) ([]op.Key, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.freshLocked(ctx); err != nil {
		return nil, err
	}
	return m.keySetLocked()
}

func (m *KeyManager) keySetLocked() ([]op.Key, error) {
	var out []op.Key
	for _, k := range m.publishedLocked(m.now()) {
		jwk, err := m.publicLocked(k)
		if err != nil {
			return nil, err
		}
		out = append(out, publicKey{jwk: jwk})
	}
	return out, nil
}

// VerifySignature implements oidc.KeySet for tokens this provider issued
// (id_token_hint, JWT access tokens). An unknown kid triggers one reload,
// so a key another replica just created is found.
func (m *KeyManager) VerifySignature(ctx context.Context, jws *jose.JSONWebSignature) ([]byte, error) {
	if len(jws.Signatures) != 1 {
		return nil, errors.New("verify signature: expected exactly one signature")
	}
	kid := jws.Signatures[0].Header.KeyID
	m.mu.Lock()
	jwk, err := m.findLocked(ctx, kid)
	m.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if jws.Signatures[0].Header.Algorithm != jwk.Algorithm {
		return nil, errors.New("verify signature: algorithm does not match key")
	}
	return jws.Verify(jwk)
}

func (m *KeyManager) findLocked(ctx context.Context, kid string) (jose.JSONWebKey, error) {
	if err := m.freshLocked(ctx); err != nil {
		return jose.JSONWebKey{}, err
	}
	for reloaded := false; ; reloaded = true {
		for _, k := range m.publishedLocked(m.now()) {
			if k.ID == kid {
				return m.publicLocked(k)
			}
		}
		if reloaded {
			return jose.JSONWebKey{}, errors.New("verify signature: unknown key id")
		}
		if err := m.reloadLocked(ctx); err != nil {
			return jose.JSONWebKey{}, err
		}
	}
}

// signingKey implements op.SigningKey. key is a private key go-jose
// signs with (*rsa.PrivateKey, *ecdsa.PrivateKey) or a jose.OpaqueSigner.
type signingKey struct {
	id  string
	alg jose.SignatureAlgorithm
	key any
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return k.alg }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

// publicKey implements op.Key.
type publicKey struct{ jwk jose.JSONWebKey }

func (k publicKey) ID() string { return k.jwk.KeyID }
func (k publicKey) Algorithm() jose.SignatureAlgorithm {
	return jose.SignatureAlgorithm(k.jwk.Algorithm)
}
func (k publicKey) Use() string { return "sig" }
func (k publicKey) Key() any    { return k.jwk.Key }
