package provider

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// randomString returns n random bytes, base64url encoded without padding.
// crypto/rand.Read never fails (it crashes the program instead).
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// newToken returns a fresh bearer secret (authorization code, refresh
// token) with 256 bits of entropy.
func newToken() string { return randomString(32) }

// digest is the SHA-256 digest under which secrets (client secrets, codes,
// refresh tokens) are stored.
func digest(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}
