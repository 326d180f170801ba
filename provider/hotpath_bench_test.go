package provider

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	zcrypto "github.com/zitadel/oidc/v3/pkg/crypto"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/dingbridge/dingbridge/provider/libcrypto"
	"github.com/dingbridge/dingbridge/storage"
	"github.com/dingbridge/dingbridge/storage/sqlite"
)

// benchSigningKeys are the keys the signing benchmarks sign with: RS256
// through crypto/rsa and through libcrypto, and ES256.
var benchSigningKeys = []struct {
	name string
	alg  jose.SignatureAlgorithm
	key  func() (any, error)
}{
	{"RS256", jose.RS256, func() (any, error) { return rsa.GenerateKey(rand.Reader, 2048) }},
	{"RS256-libcrypto", jose.RS256, func() (any, error) {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, err
		}
		return libcrypto.NewRS256(k)
	}},
	{"ES256", jose.ES256, func() (any, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }},
}

// benchIDTokenClaims are a typical ID token's claims.
func benchIDTokenClaims() *oidc.IDTokenClaims {
	now := time.Now()
	claims := oidc.NewIDTokenClaims("https://id.example.com", "3f1c9e0a-2b7d-4c8e-9f5a-1b2c3d4e5f60",
		[]string{"grafana"}, now.Add(time.Hour), now, "n-0S6_WzA2Mj", "", []string{"dingtalk"}, "grafana", 0)
	claims.AccessTokenHash = "77QmUPtjPfzWtF2AnpK9RQ"
	claims.SessionID = "sess-4c8e9f5a1b2c3d4e"
	return claims
}

// benchSigningKey makes the key of k, skipping where libcrypto is not
// available.
func benchSigningKey(b *testing.B, k func() (any, error)) any {
	key, err := k()
	if errors.Is(err, libcrypto.ErrUnavailable) {
		b.Skip(err)
	}
	if err != nil {
		b.Fatal(err)
	}
	return key
}

// BenchmarkSignIDToken signs a typical ID token the way op does
// (crypto.Sign over go-jose): the dominant CPU cost of a login with RS256,
// with crypto/rsa and through libcrypto. It is the signature unit of the
// targets' model (BENCHMARKS.md); the provider signs as BenchmarkSignJWT.
func BenchmarkSignIDToken(b *testing.B) {
	claims := benchIDTokenClaims()
	for _, alg := range benchSigningKeys {
		b.Run(alg.name, func(b *testing.B) {
			key := benchSigningKey(b, alg.key)
			signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg.alg, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}},
				(&jose.SignerOptions{}).WithType("JWT"))
			if err != nil {
				b.Fatal(err)
			}
			defer reportCPU(b)()
			for b.Loop() {
				if _, err := zcrypto.Sign(claims, signer); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSignJWT signs the same ID token as the provider does:
// marshalIDToken and signJWT.
func BenchmarkSignJWT(b *testing.B) {
	claims := benchIDTokenClaims()
	for _, alg := range benchSigningKeys {
		b.Run(alg.name, func(b *testing.B) {
			key := signingKey{id: "k1", alg: alg.alg, key: benchSigningKey(b, alg.key)}
			defer reportCPU(b)()
			for b.Loop() {
				payload, err := marshalIDToken(claims)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := signJWT(key, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// reportCPU reports the process's CPU time per operation as cpu-µs/op
// when the returned function runs: on a shared machine it is steadier
// than ns/op.
func reportCPU(b *testing.B) func() {
	t0 := processCPU()
	return func() {
		b.ReportMetric(float64(processCPU()-t0)/float64(time.Microsecond)/float64(b.N), "cpu-µs/op")
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchProvider is a Provider on SQLite, for the benchmarks that need its
// configuration (cookie codec, claims policy).
func benchProvider(b *testing.B) *Provider {
	st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if err := st.Migrate(b.Context()); err != nil {
		b.Fatal(err)
	}
	p, err := New(b.Context(), Config{
		Issuer: "https://id.example.com", Storage: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		KeyEncryptionKey: bytes.Repeat([]byte{1}, 32), CookieHashKey: bytes.Repeat([]byte{2}, 64),
		CookieBlockKey: bytes.Repeat([]byte{3}, 32), SigningAlgorithm: "ES256",
	})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkSessionCookieDecode authenticates and decrypts the browser
// session cookie, as every /login with a session does.
func BenchmarkSessionCookieDecode(b *testing.B) {
	p := benchProvider(b)
	c, err := p.sessionCookieFor(storage.Session{ID: "sess-4c8e9f5a1b2c3d4e5f60a1b2", ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "https://id.example.com/login", nil)
	r.AddCookie(c)
	defer reportCPU(b)()
	for b.Loop() {
		if id, ok := p.sessionIDFromCookie(r); !ok || id == "" {
			b.Fatal("cookie not decoded")
		}
	}
}

// BenchmarkClaims assembles the userinfo claims of a person with every
// scope released: profile, email, phone, groups (paths with parents),
// roles and the dingtalk object.
func BenchmarkClaims(b *testing.B) {
	now := time.Now()
	prof := storage.Profile{
		Name: "王小明", Nick: "xiaoming", Avatar: "https://static.example/a.png", OrgEmail: "xm@corp.example",
		Email: "xm@example.com", Mobile: "13800000000", StateCode: "86", JobNumber: "E1024", Title: "工程师",
		DeptIDs: []int64{42, 77}, Admin: true, SysLevel: 2, Active: true, CorpName: "杭州云桥科技有限公司",
		Departments: []storage.Department{
			{ID: 42, Name: "后端组", ParentIDs: []int64{7, 1}, Path: "杭州云桥科技有限公司/研发部/后端组"},
			{ID: 77, Name: "架构委员会", ParentIDs: []int64{1}, Path: "杭州云桥科技有限公司/架构委员会"},
		},
	}
	u := storage.User{Subject: "3f1c9e0a-2b7d-4c8e-9f5a-1b2c3d4e5f60", Profile: prof, CreatedAt: now, UpdatedAt: now}
	bind := &storage.Binding{CorpID: "ding6f3c1e9a", UserID: "manager4220", UnionID: "iPk3QoZ7eWn2Rx9L", Subject: u.Subject, Profile: prof}
	policy := storage.ClientPolicy{Email: "org", Groups: "paths", GroupsParents: true}
	scopes := []string{"openid", "profile", "email", "phone", "groups", "dingtalk"}
	defer reportCPU(b)()
	for b.Loop() {
		var info oidc.UserInfo
		setClaims(&info, u, bind, policy, scopes)
		if info.Claims["groups"] == nil {
			b.Fatal("no groups claim")
		}
	}
}
