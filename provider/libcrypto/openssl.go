//go:build linux && cgo

package libcrypto

import (
	"crypto"
	"crypto/rsa"
	"fmt"
	"math/big"
	"sync"

	"github.com/golang-fips/openssl/v2"
)

var (
	openOnce sync.Once
	version  string
	openErr  error
)

// Open loads and initialises libcrypto once and returns its version text
// ("OpenSSL 3.0.19 27 Jan 2026"); later calls return the first result.
func Open() (string, error) {
	openOnce.Do(func() {
		if err := openssl.Init(Library); err != nil {
			openErr = fmt.Errorf("libcrypto: load %s: %w", Library, err)
			return
		}
		version = openssl.VersionText()
	})
	return version, openErr
}

// rsaSigner hands key to libcrypto and returns the function that signs a
// SHA-256 digest with it.
func rsaSigner(key *rsa.PrivateKey) (func(digest []byte) ([]byte, error), error) {
	if _, err := Open(); err != nil {
		return nil, err
	}
	pre := key.Precomputed
	pk, err := openssl.NewPrivateKeyRSA(bigInt(key.N), bigInt(big.NewInt(int64(key.E))), bigInt(key.D),
		bigInt(key.Primes[0]), bigInt(key.Primes[1]), bigInt(pre.Dp), bigInt(pre.Dq), bigInt(pre.Qinv))
	if err != nil {
		return nil, fmt.Errorf("libcrypto: load key: %w", err)
	}
	return func(digest []byte) ([]byte, error) {
		return openssl.SignRSAPKCS1v15(pk, crypto.SHA256, digest)
	}, nil
}

// bigInt is x as the little-endian machine words openssl.BigInt holds.
func bigInt(x *big.Int) openssl.BigInt {
	words := x.Bits()
	out := make(openssl.BigInt, len(words))
	for i, w := range words {
		out[i] = uint(w)
	}
	return out
}
