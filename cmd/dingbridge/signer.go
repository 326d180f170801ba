package main

import (
	"crypto/rsa"
	"fmt"
	"log/slog"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/dingbridge/dingbridge/provider/libcrypto"
)

// rsaSigner returns the provider's RSASigner for keys.rsaSigner (nil
// signs with crypto/rsa) and logs which implementation signs RS256.
// "openssl" fails when libcrypto does not load; "auto" then falls back to
// crypto/rsa, as it does for a key libcrypto refuses. With ES256 nothing
// is loaded.
func rsaSigner(keys KeysConfig, logger *slog.Logger) (func(*rsa.PrivateKey) (jose.OpaqueSigner, error), error) {
	if keys.Algorithm != "RS256" || keys.RSASigner == "go" {
		if keys.Algorithm == "RS256" {
			logger.Info("RS256 signatures by Go's crypto/rsa", "rsa_signer", "go")
		}
		return nil, nil
	}
	version, err := libcrypto.Open()
	if err != nil {
		if keys.RSASigner == "openssl" {
			return nil, fmt.Errorf("keys.rsaSigner is openssl: %w", err)
		}
		logger.Info("RS256 signatures by Go's crypto/rsa: libcrypto unavailable", "rsa_signer", "go", "reason", err.Error())
		return nil, nil
	}
	logger.Info("RS256 signatures by OpenSSL's libcrypto", "rsa_signer", "openssl", "library", version)
	required := keys.RSASigner == "openssl"
	return func(k *rsa.PrivateKey) (jose.OpaqueSigner, error) {
		s, err := libcrypto.NewRS256(k)
		switch {
		case err == nil:
			return s, nil
		case required:
			return nil, err
		default:
			logger.Warn("libcrypto refused a signing key; it signs with Go's crypto/rsa", "reason", err.Error())
			return nil, nil
		}
	}, nil
}
