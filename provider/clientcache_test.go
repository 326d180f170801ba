package provider

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

func TestClientCacheReusesForTTLAndForgetsOwnChanges(t *testing.T) {
	raw := newSQLite(t)
	ctx := t.Context()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cache := newClientCache(raw, 5*time.Second, func() time.Time { return now })

	c := storage.Client{ID: "app", Name: "App", SecretHash: []byte("h"), RedirectURIs: []string{"https://app.example/cb"},
		GrantTypes: []string{"authorization_code"}, ApplicationType: "web", AccessTokenFormat: "opaque",
		CreatedAt: now, UpdatedAt: now}
	if err := cache.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := cache.GetClient(ctx, "app")
	if err != nil || got.Name != "App" {
		t.Fatalf("GetClient = %q, %v; want App", got.Name, err)
	}
	got.RedirectURIs[0] = "https://evil.example/cb" // a caller's change stays its own

	// Changed behind the cache's back (another process): stale until the TTL passes.
	c.Name = "Renamed"
	if err := raw.UpdateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got, _ := cache.GetClient(ctx, "app"); got.Name != "App" || got.RedirectURIs[0] != "https://app.example/cb" {
		t.Errorf("within TTL: GetClient = %q %v, want the cached App with its own redirect URI", got.Name, got.RedirectURIs)
	}
	now = now.Add(5 * time.Second)
	if got, _ := cache.GetClient(ctx, "app"); got.Name != "Renamed" {
		t.Errorf("after TTL: GetClient name = %q, want Renamed", got.Name)
	}

	// Changed through the cache: at once.
	c.RedirectURIs = []string{"https://app.example/other"}
	if err := cache.UpdateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got, _ := cache.GetClient(ctx, "app"); !slices.Equal(got.RedirectURIs, c.RedirectURIs) {
		t.Errorf("after UpdateClient: redirect URIs = %v, want %v", got.RedirectURIs, c.RedirectURIs)
	}
	if err := cache.DeleteClient(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	if _, err := cache.GetClient(ctx, "app"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("after DeleteClient: err = %v, want ErrNotFound", err)
	}
}

func TestClientCacheDoesNotKeepUnknownClients(t *testing.T) {
	raw := newSQLite(t)
	ctx := t.Context()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cache := newClientCache(raw, time.Hour, func() time.Time { return now })
	if _, err := cache.GetClient(ctx, "late"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("GetClient(unknown) err = %v, want ErrNotFound", err)
	}
	c := storage.Client{ID: "late", Name: "Late", SecretHash: []byte("h"), RedirectURIs: []string{"https://late.example/cb"},
		GrantTypes: []string{"authorization_code"}, ApplicationType: "web", AccessTokenFormat: "opaque",
		CreatedAt: now, UpdatedAt: now}
	if err := raw.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got, err := cache.GetClient(ctx, "late"); err != nil || got.Name != "Late" {
		t.Errorf("GetClient after creation elsewhere = %q, %v; want Late", got.Name, err)
	}
}
