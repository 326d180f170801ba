package provider

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

// clientCacheTTL is how long a client registration read from storage is
// reused. One login reads its client about eight times (authorize, login
// page, callback, token endpoint authentication and grant, userinfo); the
// cache turns those into one database round trip per client every few
// seconds. A change made by another process (dingbridge client update,
// rotate-secret, delete, or a restart of another replica with a new
// declarative configuration) takes effect within this time; changes made
// through the provider's own store take effect at once.
const clientCacheTTL = 5 * time.Second

// clientCache is storage.Storage with GetClient answered from memory for
// up to ttl. Only found clients are kept (an unknown client_id always asks
// the database) and only client registrations: nothing single-use passes
// through it.
type clientCache struct {
	storage.Storage
	ttl time.Duration
	now func() time.Time

	// mu guards entries.
	mu      sync.Mutex
	entries map[string]cachedClient
}

// cachedClient is one cached registration and when it goes stale.
type cachedClient struct {
	c       storage.Client
	expires time.Time
}

var _ storage.Storage = (*clientCache)(nil)

func newClientCache(s storage.Storage, ttl time.Duration, now func() time.Time) *clientCache {
	return &clientCache{Storage: s, ttl: ttl, now: now, entries: map[string]cachedClient{}}
}

// maxCachedClients bounds the cache; past it, it starts over.
const maxCachedClients = 4096

// GetClient answers from the cache while the entry is fresh.
func (s *clientCache) GetClient(ctx context.Context, id string) (storage.Client, error) {
	now := s.now()
	s.mu.Lock()
	e, ok := s.entries[id]
	s.mu.Unlock()
	if ok && now.Before(e.expires) {
		return cloneClient(e.c), nil
	}
	c, err := s.Storage.GetClient(ctx, id)
	if err != nil {
		return c, err
	}
	s.mu.Lock()
	if len(s.entries) >= maxCachedClients {
		clear(s.entries)
	}
	s.entries[id] = cachedClient{c: cloneClient(c), expires: now.Add(s.ttl)}
	s.mu.Unlock()
	return c, nil
}

func (s *clientCache) forget(id string) {
	s.mu.Lock()
	delete(s.entries, id)
	s.mu.Unlock()
}

// CreateClient stores c and drops any cached entry for its ID.
func (s *clientCache) CreateClient(ctx context.Context, c storage.Client) error {
	defer s.forget(c.ID)
	return s.Storage.CreateClient(ctx, c)
}

// UpdateClient stores c and drops its cached entry.
func (s *clientCache) UpdateClient(ctx context.Context, c storage.Client) error {
	defer s.forget(c.ID)
	return s.Storage.UpdateClient(ctx, c)
}

// UpsertClient stores c and drops its cached entry.
func (s *clientCache) UpsertClient(ctx context.Context, c storage.Client) error {
	defer s.forget(c.ID)
	return s.Storage.UpsertClient(ctx, c)
}

// DeleteClient deletes the client and drops its cached entry.
func (s *clientCache) DeleteClient(ctx context.Context, id string) error {
	defer s.forget(id)
	return s.Storage.DeleteClient(ctx, id)
}

// cloneClient copies c's slices, so that a caller changing its copy cannot
// change the cache.
func cloneClient(c storage.Client) storage.Client {
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	c.PostLogoutRedirectURIs = slices.Clone(c.PostLogoutRedirectURIs)
	c.GrantTypes = slices.Clone(c.GrantTypes)
	c.Scopes = slices.Clone(c.Scopes)
	c.SecretHash = slices.Clone(c.SecretHash)
	c.Policy.AllowedCorps = slices.Clone(c.Policy.AllowedCorps)
	c.Policy.RequiredDepartments = slices.Clone(c.Policy.RequiredDepartments)
	c.Policy.AlwaysRelease = slices.Clone(c.Policy.AlwaysRelease)
	return c
}
