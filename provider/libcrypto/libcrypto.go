// Package libcrypto signs RS256 tokens with the system's OpenSSL 3
// libcrypto instead of crypto/rsa.
//
// The RSA signature is the largest single cost of a login signed with
// RS256. OpenSSL's RSA is several times faster than Go's on current x86
// processors (its Montgomery multiplication uses wide vector
// instructions), while ES256 is already cheap in Go, so only RS256 goes
// through here.
//
// libcrypto is loaded at run time (dlopen of Library, through
// github.com/golang-fips/openssl), so the binary neither links OpenSSL
// nor needs its headers to build; it needs cgo, which a Go toolchain
// enables by default where a C compiler is installed. A build without
// cgo, or for another system than Linux, has no libcrypto: Open and
// NewRS256 return ErrUnavailable there, and the caller signs with
// crypto/rsa.
//
// A Signer is checked before it is handed out: NewRS256 signs a probe
// through libcrypto and requires the signature to verify with the key's
// public half under crypto/rsa. OpenSSL verifies every CRT signature it
// computes before returning it (the fault-attack countermeasure Go's
// crypto/rsa applies too), and RSASSA-PKCS1-v1_5 is deterministic, so a
// token signed here is byte for byte the token crypto/rsa would sign.
package libcrypto

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
)

// Library is the shared library Open loads: OpenSSL 3's libcrypto
// (Debian and Ubuntu package libssl3, Fedora and RHEL openssl-libs).
const Library = "libcrypto.so.3"

// ErrUnavailable is returned by a build that cannot load libcrypto.
var ErrUnavailable = errors.New("libcrypto: not available in this build (it needs cgo on Linux)")

// Signer signs RS256 with one RSA private key through libcrypto. It is a
// go-jose OpaqueSigner and is safe for concurrent use.
type Signer struct {
	pub  jose.JSONWebKey
	sign func(digest []byte) ([]byte, error)
}

// NewRS256 returns a Signer for key. It loads libcrypto (Open) on first
// use, and returns an error when libcrypto is unavailable, refuses the
// key (e.g. one with more than two primes), or signs a probe that does
// not verify.
func NewRS256(key *rsa.PrivateKey) (*Signer, error) {
	if key == nil {
		return nil, errors.New("libcrypto: no key")
	}
	if len(key.Primes) != 2 || key.Precomputed.Dp == nil || key.Precomputed.Dq == nil || key.Precomputed.Qinv == nil {
		return nil, errors.New("libcrypto: key must have two primes and precomputed CRT values")
	}
	sign, err := rsaSigner(key)
	if err != nil {
		return nil, err
	}
	s := &Signer{
		pub:  jose.JSONWebKey{Key: &key.PublicKey, Algorithm: string(jose.RS256), Use: "sig"},
		sign: sign,
	}
	probe := sha256.Sum256([]byte("dingbridge libcrypto probe"))
	sig, err := s.sign(probe[:])
	if err != nil {
		return nil, fmt.Errorf("libcrypto: probe signature: %w", err)
	}
	if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, probe[:], sig); err != nil {
		return nil, fmt.Errorf("libcrypto: probe signature does not verify: %w", err)
	}
	return s, nil
}

// Public returns the key's public half (go-jose OpaqueSigner).
func (s *Signer) Public() *jose.JSONWebKey {
	pub := s.pub
	return &pub
}

// Algs returns RS256, the only algorithm a Signer signs with.
func (s *Signer) Algs() []jose.SignatureAlgorithm {
	return []jose.SignatureAlgorithm{jose.RS256}
}

// SignPayload returns the RSASSA-PKCS1-v1_5 signature of the SHA-256
// digest of payload; any other algorithm than RS256 is an error.
func (s *Signer) SignPayload(payload []byte, alg jose.SignatureAlgorithm) ([]byte, error) {
	if alg != jose.RS256 {
		return nil, fmt.Errorf("libcrypto: unsupported algorithm %q", alg)
	}
	digest := sha256.Sum256(payload)
	sig, err := s.sign(digest[:])
	if err != nil {
		return nil, fmt.Errorf("libcrypto: sign: %w", err)
	}
	return sig, nil
}
