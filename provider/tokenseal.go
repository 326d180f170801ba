package provider

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"strings"
	"sync"

	"github.com/zitadel/oidc/v3/pkg/op"
)

// tokenSealer is the op.Crypto of opaque access tokens: it seals the
// token's "id:subject" so that neither can be forged or read without the
// key, and the database, which stores only the ID, cannot mint tokens.
//
// A sealed token is base64url (no padding) of
//
//	version (1 byte, 0x01) ‖ salt (16 random bytes) ‖ AES-256-GCM ciphertext and tag
//
// where the GCM key is HMAC-SHA256(key, salt) and the nonce is zero: each
// token has its own key, so no nonce is ever reused under a key however
// many tokens one key seals (a random 96-bit nonce under one key is good
// for about 2³² tokens). The version byte and salt are the additional
// data.
//
// Tokens issued before this format were op's JWE (A256GCMKW with
// A256GCM, five dot-separated parts) under the same key; they are still
// opened until they expire. A sealed token never contains a dot.
type tokenSealer struct {
	saltedGCM
	legacy op.Crypto
}

const (
	sealVersion  = 0x01
	sealSaltSize = 16
	sealHeader   = 1 + sealSaltSize
)

var errBadSeal = errors.New("access token: not sealed by this issuer")

// zeroNonce is the GCM nonce of every sealed token (see tokenSealer).
var zeroNonce [12]byte

func newTokenSealer(key [32]byte) *tokenSealer {
	return &tokenSealer{saltedGCM: newSaltedGCM(key[:]), legacy: op.NewAES256GCMCrypto(key, "")}
}

// saltedGCM gives each sealed value its own AES-256-GCM key,
// HMAC-SHA256(key, salt) for a random salt sent along, so that the zero
// nonce is never reused under a key. Keyed HMACs are pooled: keying one
// costs more than the salt's MAC.
type saltedGCM struct {
	macs *sync.Pool // of hash.Hash: HMAC-SHA256 keyed with key
}

func newSaltedGCM(key []byte) saltedGCM {
	key = bytes.Clone(key)
	return saltedGCM{macs: &sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}}
}

// aead returns the AES-256-GCM of one salt.
func (s saltedGCM) aead(salt []byte) (cipher.AEAD, error) {
	mac := s.macs.Get().(hash.Hash)
	mac.Write(salt)
	var k [sha256.Size]byte
	mac.Sum(k[:0])
	mac.Reset()
	s.macs.Put(mac)
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Encrypt seals plain.
func (s *tokenSealer) Encrypt(plain string) (string, error) {
	buf := make([]byte, sealHeader, sealHeader+len(plain)+16)
	buf[0] = sealVersion
	rand.Read(buf[1:sealHeader])
	aead, err := s.aead(buf[1:sealHeader])
	if err != nil {
		return "", err
	}
	buf = aead.Seal(buf, zeroNonce[:], []byte(plain), buf[:sealHeader])
	return base64.RawURLEncoding.EncodeToString(buf), nil
}

// Decrypt opens a sealed token, or a JWE one issued before the format.
func (s *tokenSealer) Decrypt(token string) (string, error) {
	if strings.Contains(token, ".") {
		return s.legacy.Decrypt(token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) < sealHeader+16 || raw[0] != sealVersion {
		return "", errBadSeal
	}
	aead, err := s.aead(raw[1:sealHeader])
	if err != nil {
		return "", err
	}
	plain, err := aead.Open(raw[sealHeader:sealHeader], zeroNonce[:], raw[sealHeader:], raw[:sealHeader])
	if err != nil {
		return "", errBadSeal
	}
	return string(plain), nil
}
