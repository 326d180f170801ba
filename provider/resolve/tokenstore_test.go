package resolve_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk"
	dt "github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
	"github.com/dingbridge/dingbridge/provider/resolve"
	"github.com/dingbridge/dingbridge/storage"
)

func TestTokenStoreEncryptsAtRest(t *testing.T) {
	e := newEnv(t, demoConfig())
	ctx := t.Context()
	if _, err := e.r.Workspace(ctx, dt.DemoCorpID, e.sim.IssueCode(dt.CodeJSAPI, dt.DemoAppKey, dt.DemoCorpID, aliceCorp1)); err != nil {
		t.Fatal(err)
	}
	key := "dingtalk:app:v1:" + dt.DemoAppKey
	ts := resolve.NewTokenStore(e.store, e.key)
	tok, exp, err := ts.GetToken(ctx, key)
	if err != nil || tok == "" || !exp.After(time.Now()) {
		t.Fatalf("GetToken(%s) = %q, %v, %v; want the app token", key, tok, exp, err)
	}
	row, err := e.store.GetCache(ctx, key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(row.Value, []byte(tok)) {
		t.Error("the cache row contains the token in plain")
	}

	// The key name is authenticated: a row copied under another key does
	// not open.
	if err := e.store.PutCache(ctx, storage.CacheEntry{Key: "dingtalk:app:v1:other", Value: row.Value, ExpiresAt: row.ExpiresAt}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ts.GetToken(ctx, "dingtalk:app:v1:other"); err == nil || errors.Is(err, dingtalk.ErrTokenNotFound) {
		t.Errorf("GetToken(copied row) = %v, want a decryption error", err)
	}
	// Another encryption key does not open it either.
	other := resolve.NewTokenStore(e.store, bytes.Repeat([]byte{7}, 32))
	if _, _, err := other.GetToken(ctx, key); err == nil {
		t.Error("GetToken with another key = nil error, want a decryption error")
	}
	if _, _, err := ts.GetToken(ctx, "dingtalk:app:v1:missing"); !errors.Is(err, dingtalk.ErrTokenNotFound) {
		t.Errorf("GetToken(missing) = %v, want ErrTokenNotFound", err)
	}
	if err := ts.DeleteToken(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ts.GetToken(ctx, key); !errors.Is(err, dingtalk.ErrTokenNotFound) {
		t.Errorf("GetToken after DeleteToken = %v, want ErrTokenNotFound", err)
	}
}

func TestTokenStoreRoundTrip(t *testing.T) {
	s := newStore(t)
	ts := resolve.NewTokenStore(s, bytes.Repeat([]byte{1}, 32))
	exp := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
	if err := ts.PutToken(t.Context(), "k", "token-value", exp); err != nil {
		t.Fatal(err)
	}
	if err := ts.PutToken(t.Context(), "k2", "token-value", exp); err != nil {
		t.Fatal(err)
	}
	a, _ := s.GetCache(t.Context(), "k", time.Now())
	b, _ := s.GetCache(t.Context(), "k2", time.Now())
	if bytes.Equal(a.Value, b.Value) {
		t.Error("two sealings of one token are equal; want a random nonce each")
	}
	got, gotExp, err := ts.GetToken(t.Context(), "k")
	if err != nil || got != "token-value" || !gotExp.Equal(exp) {
		t.Errorf("GetToken = %q, %v, %v; want token-value, %v", got, gotExp, err, exp)
	}
}

func TestTokenStoreKeyLength(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewTokenStore with a 16-byte key did not panic")
		}
	}()
	resolve.NewTokenStore(newStore(t), make([]byte, 16))
}

// Two replicas on one database fetch the app token once.
func TestTokenStoreSharedByReplicas(t *testing.T) {
	e := newEnv(t, demoConfig())
	_, r2 := e.resolver(t, demoConfig())
	ctx := t.Context()
	for i, r := range []*resolve.Resolver{e.r, r2} {
		code := e.sim.IssueCode(dt.CodeJSAPI, dt.DemoAppKey, dt.DemoCorpID, aliceCorp1)
		if _, err := r.Workspace(ctx, dt.DemoCorpID, code); err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
	}
	if n := e.sim.Calls(dt.EndpointAccessToken); n != 1 {
		t.Errorf("app token fetches = %d, want 1 for two replicas", n)
	}
	// The second replica also read the departments from the shared cache.
	if n := e.sim.Calls(dt.EndpointDepartmentGet); n != 3 {
		t.Errorf("E22 calls = %d, want 3 (研发部, 后端组, 市场部 once)", n)
	}
}
