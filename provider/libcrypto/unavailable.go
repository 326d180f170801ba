//go:build !linux || !cgo

package libcrypto

import "crypto/rsa"

// Open reports that this build cannot load libcrypto.
func Open() (string, error) { return "", ErrUnavailable }

func rsaSigner(*rsa.PrivateKey) (func(digest []byte) ([]byte, error), error) {
	return nil, ErrUnavailable
}
