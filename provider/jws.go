package provider

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"

	jose "github.com/go-jose/go-jose/v4"
	zcrypto "github.com/zitadel/oidc/v3/pkg/crypto"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// signJWT signs payload as a JWT in JWS compact serialization: the
// protected header {"alg":…,"kid":…,"typ":"JWT"} that op.SignerFromKey
// gives and the signature go-jose computes, without go-jose's signer
// set-up and generic header encoding for every token. ES256 (P-256) and
// RS256 private keys and opaque signers (libcrypto) are signed here; any
// other key goes through go-jose as op does.
func signJWT(key op.SigningKey, payload []byte) (string, error) {
	alg := key.SignatureAlgorithm()
	sign := directSigner(alg, key.Key())
	if sign == nil {
		signer, err := op.SignerFromKey(key)
		if err != nil {
			return "", err
		}
		return zcrypto.SignPayload(payload, signer)
	}
	header, err := json.Marshal(jwsHeader{Alg: string(alg), Kid: key.ID(), Typ: "JWT"})
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	out := make([]byte, 0, enc.EncodedLen(len(header))+enc.EncodedLen(len(payload))+enc.EncodedLen(512)+2)
	out = enc.AppendEncode(out, header)
	out = append(out, '.')
	out = enc.AppendEncode(out, payload)
	sig, err := sign(out)
	if err != nil {
		return "", fmt.Errorf("sign %s: %w", alg, err)
	}
	out = append(out, '.')
	out = enc.AppendEncode(out, sig)
	return string(out), nil
}

// jwsHeader is the protected header of signJWT, its members in the order
// go-jose writes them (sorted by name).
type jwsHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid,omitempty"`
	Typ string `json:"typ"`
}

// directSigner returns the function that signs a JWS signing input with
// key for alg, or nil when signJWT leaves the key to go-jose.
func directSigner(alg jose.SignatureAlgorithm, key any) func(signingInput []byte) ([]byte, error) {
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		if alg != jose.ES256 || k.Curve != elliptic.P256() {
			return nil
		}
		return func(in []byte) ([]byte, error) {
			digest := sha256.Sum256(in)
			r, s, err := ecdsa.Sign(rand.Reader, k, digest[:])
			if err != nil {
				return nil, err
			}
			// RFC 7518 section 3.4: R and S as 32-byte big-endian
			// integers, concatenated.
			sig := make([]byte, 64)
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
			return sig, nil
		}
	case *rsa.PrivateKey:
		if alg != jose.RS256 {
			return nil
		}
		return func(in []byte) ([]byte, error) {
			digest := sha256.Sum256(in)
			return rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:])
		}
	case jose.OpaqueSigner:
		if !slices.Contains(k.Algs(), alg) {
			return nil
		}
		return func(in []byte) ([]byte, error) { return k.SignPayload(in, alg) }
	}
	return nil
}
