package storagetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

var sessionTests = []test{
	{"GetExpiredAndMissing", testSessionExpired},
	{"Delete", testSessionDelete},
}

var signingKeyTests = []test{
	{"CreateList", testSigningKeyCreateList},
	{"DuplicateIDOrGeneration", testSigningKeyDuplicate},
	{"ConcurrentNextGeneration", testSigningKeyRace},
	{"Delete", testSigningKeyDelete},
}

var cacheTests = []test{
	{"PutGetReplace", testCachePutGet},
	{"Expired", testCacheExpired},
	{"Delete", testCacheDelete},
}

func testSessionExpired(t *testing.T, s storage.Storage) {
	now := wallNow()
	login(t, s, "", "sub-1", "sess-1", now) // expires after 8h
	_, err := s.GetSession(t.Context(), "sess-1", now.Add(7*time.Hour))
	must(t, "GetSession before expiry", err)
	_, err = s.GetSession(t.Context(), "sess-1", now.Add(9*time.Hour))
	wantErr(t, "GetSession expired", err, storage.ErrNotFound)
	_, err = s.GetSession(t.Context(), "nope", now)
	wantErr(t, "GetSession unknown", err, storage.ErrNotFound)
}

func testSessionDelete(t *testing.T, s storage.Storage) {
	now := wallNow()
	login(t, s, "", "sub-1", "sess-1", now)
	login(t, s, "", "sub-2", "sess-2", now)
	must(t, "DeleteSession", s.DeleteSession(t.Context(), "sess-1"))
	_, err := s.GetSession(t.Context(), "sess-1", now)
	wantErr(t, "GetSession deleted", err, storage.ErrNotFound)
	_, err = s.GetSession(t.Context(), "sess-2", now)
	must(t, "GetSession other", err)
	wantErr(t, "DeleteSession again", s.DeleteSession(t.Context(), "sess-1"), storage.ErrNotFound)
	_, err = s.GetUser(t.Context(), "sub-1")
	must(t, "GetUser after session deletion", err)
}

func testSigningKeyCreateList(t *testing.T, s storage.Storage) {
	now := wallNow()
	got, err := s.ListSigningKeys(t.Context())
	must(t, "ListSigningKeys empty", err)
	if len(got) != 0 {
		t.Errorf("ListSigningKeys on empty store = %d keys, want 0", len(got))
	}
	k3 := newSigningKey("kid-c", 3, now)
	k1 := newSigningKey("kid-z", 1, now)
	k1.RetiresAt = local(now.Add(48 * time.Hour))
	k2 := newSigningKey("kid-a", 2, now)
	k2.Algorithm = "ES256"
	for _, k := range []storage.SigningKey{k3, k1, k2} {
		must(t, "CreateSigningKey", s.CreateSigningKey(t.Context(), k))
	}
	got, err = s.ListSigningKeys(t.Context())
	must(t, "ListSigningKeys", err)
	same(t, "ListSigningKeys", got, []storage.SigningKey{k1, k2, k3})
	if len(got) == 3 && !got[1].RetiresAt.IsZero() {
		t.Errorf("RetiresAt = %v, want zero time", got[1].RetiresAt)
	}
}

func testSigningKeyDuplicate(t *testing.T, s storage.Storage) {
	now := wallNow()
	must(t, "CreateSigningKey", s.CreateSigningKey(t.Context(), newSigningKey("kid-1", 1, now)))
	wantErr(t, "CreateSigningKey same ID", s.CreateSigningKey(t.Context(), newSigningKey("kid-1", 2, now)), storage.ErrAlreadyExists)
	wantErr(t, "CreateSigningKey same generation", s.CreateSigningKey(t.Context(), newSigningKey("kid-2", 1, now)), storage.ErrAlreadyExists)
	got, err := s.ListSigningKeys(t.Context())
	must(t, "ListSigningKeys", err)
	if len(got) != 1 {
		t.Errorf("ListSigningKeys = %d keys, want 1", len(got))
	}
}

func testSigningKeyRace(t *testing.T, s storage.Storage) {
	const n = 10
	now := wallNow()
	must(t, "CreateSigningKey", s.CreateSigningKey(t.Context(), newSigningKey("kid-1", 1, now)))
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.CreateSigningKey(t.Context(), newSigningKey(fmt.Sprintf("replica-%d", i), 2, now))
		})
	}
	close(start)
	wg.Wait()
	winners := 0
	for i, err := range errs {
		if err == nil {
			winners++
			continue
		}
		wantErr(t, fmt.Sprintf("CreateSigningKey #%d", i), err, storage.ErrAlreadyExists)
	}
	if winners != 1 {
		t.Errorf("%d of %d replicas created generation 2, want exactly 1", winners, n)
	}
	got, err := s.ListSigningKeys(t.Context())
	must(t, "ListSigningKeys", err)
	if len(got) != 2 {
		t.Errorf("ListSigningKeys = %d keys, want 2", len(got))
	}
}

func testSigningKeyDelete(t *testing.T, s storage.Storage) {
	now := wallNow()
	must(t, "CreateSigningKey", s.CreateSigningKey(t.Context(), newSigningKey("kid-1", 1, now)))
	must(t, "CreateSigningKey", s.CreateSigningKey(t.Context(), newSigningKey("kid-2", 2, now)))
	must(t, "DeleteSigningKey", s.DeleteSigningKey(t.Context(), "kid-1"))
	got, err := s.ListSigningKeys(t.Context())
	must(t, "ListSigningKeys", err)
	if len(got) != 1 || got[0].ID != "kid-2" {
		t.Errorf("ListSigningKeys after delete = %+v, want only kid-2", got)
	}
	wantErr(t, "DeleteSigningKey again", s.DeleteSigningKey(t.Context(), "kid-1"), storage.ErrNotFound)
	// The generation of a deleted key may be reused.
	must(t, "CreateSigningKey reusing generation", s.CreateSigningKey(t.Context(), newSigningKey("kid-3", 1, now)))
}

func testCachePutGet(t *testing.T, s storage.Storage) {
	now := wallNow()
	e := storage.CacheEntry{Key: "dingtalk:app-token:ding-corp-a", Value: []byte("\x00token\xff"), ExpiresAt: local(now.Add(time.Hour))}
	must(t, "PutCache", s.PutCache(t.Context(), e))
	got, err := s.GetCache(t.Context(), e.Key, now)
	must(t, "GetCache", err)
	same(t, "GetCache", got, e)

	e2 := storage.CacheEntry{Key: e.Key, Value: []byte("replaced"), ExpiresAt: local(now.Add(2 * time.Hour))}
	must(t, "PutCache replace", s.PutCache(t.Context(), e2))
	got, err = s.GetCache(t.Context(), e.Key, now)
	must(t, "GetCache", err)
	same(t, "GetCache after replace", got, e2)
	_, err = s.GetCache(t.Context(), "other", now)
	wantErr(t, "GetCache unknown", err, storage.ErrNotFound)
}

func testCacheExpired(t *testing.T, s storage.Storage) {
	now := wallNow()
	e := storage.CacheEntry{Key: "k", Value: []byte("v"), ExpiresAt: local(now.Add(time.Minute))}
	must(t, "PutCache", s.PutCache(t.Context(), e))
	_, err := s.GetCache(t.Context(), "k", now.Add(2*time.Minute))
	wantErr(t, "GetCache expired", err, storage.ErrNotFound)
	// An expired entry can be replaced by a fresh one.
	e.ExpiresAt = local(now.Add(time.Hour))
	must(t, "PutCache over expired", s.PutCache(t.Context(), e))
	_, err = s.GetCache(t.Context(), "k", now.Add(2*time.Minute))
	must(t, "GetCache refreshed", err)
}

func testCacheDelete(t *testing.T, s storage.Storage) {
	now := wallNow()
	must(t, "PutCache", s.PutCache(t.Context(), storage.CacheEntry{Key: "k", Value: []byte("v"), ExpiresAt: local(now.Add(time.Hour))}))
	must(t, "DeleteCache", s.DeleteCache(t.Context(), "k"))
	_, err := s.GetCache(t.Context(), "k", now)
	wantErr(t, "GetCache deleted", err, storage.ErrNotFound)
	must(t, "DeleteCache missing", s.DeleteCache(t.Context(), "k"))
}
