// Package storagetest is the conformance suite every storage backend runs.
//
// A backend's test calls Run with a constructor for fresh, migrated stores:
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T) storage.Storage {
//			return newTestStore(t) // empty, migrated, closed at t.Cleanup
//		})
//	}
//
// Every behaviour of the storage.Storage contract is one subtest. The suite
// never sleeps: times are passed explicitly wherever the contract takes
// them, and built relative to the wall clock where it does not (the expiry
// of GetAuthRequest and SaveAuthCode).
package storagetest

import (
	"testing"

	"github.com/dingbridge/dingbridge/storage"
)

// test is one behaviour of the contract, run against a fresh store.
type test struct {
	name string
	fn   func(t *testing.T, s storage.Storage)
}

// Run runs the conformance suite. newStore is called once per subtest and
// must return an empty, migrated store whose cleanup it arranges itself
// (t.Cleanup).
func Run(t *testing.T, newStore func(t *testing.T) storage.Storage) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Clients", clientTests},
		{"AuthRequests", authRequestTests},
		{"AuthCodes", authCodeTests},
		{"AccessTokens", accessTokenTests},
		{"AccessTokenUser", accessTokenUserTests},
		{"RefreshTokens", refreshTokenTests},
		{"CompleteLogin", loginTests},
		{"Users", userTests},
		{"Sessions", sessionTests},
		{"SessionClients", sessionClientTests},
		{"SigningKeys", signingKeyTests},
		{"Cache", cacheTests},
		{"DeleteExpired", gcTests},
		{"Times", timeTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					tc.fn(t, newStore(t))
				})
			}
		})
	}
}
