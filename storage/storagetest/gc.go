package storagetest

import (
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

var gcTests = []test{
	{"RemovesExactlyExpiredRows", testDeleteExpired},
	{"KeepsFamilyWithLiveToken", testDeleteExpiredLiveFamily},
}

var timeTests = []test{
	{"NonUTCRoundTrip", testTimesNonUTC},
	{"ZeroAndNil", testTimesZero},
}

func testDeleteExpired(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	createClient(t, s, "c1", now)
	// Auth requests: one expired an hour ago, one live.
	createAuthRequest(t, s, "req-old", "c1", now.Add(-2*time.Hour))
	createAuthRequest(t, s, "req-new", "c1", now)
	// Tokens: an expired family with its access token, a live family, an
	// expired and a live access token without family.
	must(t, "CreateTokens", s.CreateTokens(ctx, storage.TokenIssue{
		Access:  newAccessToken("at-oldfam", "c1", "fam-old", "", now.Add(-48*time.Hour)),
		Refresh: newRefreshToken("rt-old", "fam-old", "c1", "", now.Add(-48*time.Hour)),
	}))
	must(t, "CreateTokens", s.CreateTokens(ctx, storage.TokenIssue{
		Access:  newAccessToken("at-newfam", "c1", "fam-new", "", now),
		Refresh: newRefreshToken("rt-new", "fam-new", "c1", "", now),
	}))
	must(t, "CreateTokens", s.CreateTokens(ctx, storage.TokenIssue{Access: newAccessToken("at-old", "c1", "", "", now.Add(-2*time.Hour))}))
	must(t, "CreateTokens", s.CreateTokens(ctx, storage.TokenIssue{Access: newAccessToken("at-new", "c1", "", "", now)}))
	// Sessions: one expired (8h lifetime, created 10h ago), one live.
	login(t, s, "", "sub-old", "sess-old", now.Add(-10*time.Hour))
	login(t, s, "", "sub-new", "sess-new", now)
	// Cache entries.
	must(t, "PutCache", s.PutCache(ctx, storage.CacheEntry{Key: "old", Value: []byte("v"), ExpiresAt: local(now.Add(-time.Minute))}))
	must(t, "PutCache", s.PutCache(ctx, storage.CacheEntry{Key: "new", Value: []byte("v"), ExpiresAt: local(now.Add(time.Minute))}))
	// Signing keys: retired, retiring later, retirement unknown.
	retired := newSigningKey("kid-retired", 1, now.Add(-72*time.Hour))
	retired.RetiresAt = local(now.Add(-time.Hour))
	retiring := newSigningKey("kid-retiring", 2, now.Add(-24*time.Hour))
	retiring.RetiresAt = local(now.Add(time.Hour))
	current := newSigningKey("kid-current", 3, now)
	for _, k := range []storage.SigningKey{retired, retiring, current} {
		must(t, "CreateSigningKey", s.CreateSigningKey(ctx, k))
	}

	res, err := s.DeleteExpired(ctx, local(now))
	must(t, "DeleteExpired", err)
	same(t, "DeleteExpired counts", res, storage.GCResult{
		AuthRequests: 1, AccessTokens: 2, RefreshTokens: 1, Sessions: 1, CacheEntries: 1, SigningKeys: 1,
	})

	// The survivors are all still there, valid at now.
	_, err = s.GetAuthRequest(ctx, "req-new")
	must(t, "GetAuthRequest live", err)
	for _, id := range []string{"at-newfam", "at-new"} {
		_, err = s.GetAccessToken(ctx, id, now)
		must(t, "GetAccessToken "+id, err)
	}
	_, err = s.GetRefreshToken(ctx, hash("refresh-rt-new"), now)
	must(t, "GetRefreshToken live", err)
	_, err = s.GetSession(ctx, "sess-new", now)
	must(t, "GetSession live", err)
	_, err = s.GetCache(ctx, "new", now)
	must(t, "GetCache live", err)
	keys, err := s.ListSigningKeys(ctx)
	must(t, "ListSigningKeys", err)
	var kids []string
	for _, k := range keys {
		kids = append(kids, k.ID)
	}
	same(t, "signing keys kept", kids, []string{"kid-retiring", "kid-current"})
	// Users outlive their sessions.
	_, err = s.GetUser(ctx, "sub-old")
	must(t, "GetUser of expired session", err)

	// The expired rows are gone even for a clock that would accept them.
	past := now.Add(-72 * time.Hour)
	_, err = s.GetAccessToken(ctx, "at-oldfam", past)
	wantErr(t, "GetAccessToken removed", err, storage.ErrNotFound)
	_, err = s.GetRefreshToken(ctx, hash("refresh-rt-old"), past)
	wantErr(t, "GetRefreshToken removed", err, storage.ErrNotFound)
	_, err = s.GetSession(ctx, "sess-old", past)
	wantErr(t, "GetSession removed", err, storage.ErrNotFound)
	_, err = s.GetCache(ctx, "old", past)
	wantErr(t, "GetCache removed", err, storage.ErrNotFound)

	res, err = s.DeleteExpired(ctx, now)
	must(t, "DeleteExpired again", err)
	same(t, "second DeleteExpired", res, storage.GCResult{})
}

func testDeleteExpiredLiveFamily(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	createClient(t, s, "c1", now)
	then := now.Add(-30 * time.Hour)
	first := newRefreshToken("rt-0", "fam", "c1", "", then) // expired 6h ago
	must(t, "CreateTokens", s.CreateTokens(ctx, storage.TokenIssue{Access: newAccessToken("at-0", "c1", "fam", "", then), Refresh: first}))
	next := storage.TokenIssue{
		Access:  newAccessToken("at-1", "c1", "fam", "", now.Add(-30*time.Minute)),
		Refresh: newRefreshToken("rt-1", "fam", "c1", "", now.Add(-30*time.Minute)),
	}
	must(t, "RotateRefreshToken", s.RotateRefreshToken(ctx, first.TokenHash, then.Add(time.Hour), next))

	res, err := s.DeleteExpired(ctx, now)
	must(t, "DeleteExpired", err)
	if res.RefreshTokens != 0 {
		t.Errorf("DeleteExpired removed %d refresh tokens of a live family, want 0", res.RefreshTokens)
	}
	if res.AccessTokens != 1 {
		t.Errorf("DeleteExpired removed %d access tokens, want 1 (at-0)", res.AccessTokens)
	}
	_, err = s.GetRefreshToken(ctx, next.Refresh.TokenHash, now)
	must(t, "GetRefreshToken of live link", err)
}

func testTimesNonUTC(t *testing.T, s storage.Storage) {
	// 23:30 in Shanghai is still the previous day in UTC.
	at := time.Date(2026, 1, 1, 23, 30, 0, 123456789, shanghai)
	c := newClient("c1", at)
	c.CreatedAt, c.UpdatedAt = at, at
	must(t, "CreateClient", s.CreateClient(t.Context(), c))
	got, err := s.GetClient(t.Context(), "c1")
	must(t, "GetClient", err)
	want := time.Date(2026, 1, 1, 15, 30, 0, 123456000, time.UTC)
	if !got.CreatedAt.Equal(want) || got.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt = %v (%v), want %v", got.CreatedAt, got.CreatedAt.Location(), want)
	}
	if !got.UpdatedAt.Equal(at.Truncate(time.Microsecond)) {
		t.Errorf("UpdatedAt = %v, want the instant %v", got.UpdatedAt, at)
	}
}

func testTimesZero(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	createClient(t, s, "c1", now)
	k := newSigningKey("kid-1", 1, now)
	must(t, "CreateSigningKey", s.CreateSigningKey(ctx, k))
	keys, err := s.ListSigningKeys(ctx)
	must(t, "ListSigningKeys", err)
	if len(keys) != 1 || !keys[0].RetiresAt.IsZero() {
		t.Errorf("RetiresAt of new key = %+v, want zero time.Time", keys)
	}

	r := createAuthRequest(t, s, "req-1", "c1", now)
	got, err := s.GetAuthRequest(ctx, r.ID)
	must(t, "GetAuthRequest", err)
	if !got.AuthTime.IsZero() || !got.CodeExpiresAt.IsZero() {
		t.Errorf("pending request AuthTime=%v CodeExpiresAt=%v, want zero", got.AuthTime, got.CodeExpiresAt)
	}

	at := newAccessToken("at-1", "c1", "", "", now)
	at.AuthTime = time.Time{}
	rt := newRefreshToken("rt-1", "fam", "c1", "", now)
	rt.AuthTime = time.Time{}
	must(t, "CreateTokens", s.CreateTokens(ctx, storage.TokenIssue{Access: at, Refresh: rt}))
	gotAT, err := s.GetAccessToken(ctx, "at-1", now)
	must(t, "GetAccessToken", err)
	if !gotAT.AuthTime.IsZero() {
		t.Errorf("access token AuthTime = %v, want zero", gotAT.AuthTime)
	}
	gotRT, err := s.GetRefreshToken(ctx, rt.TokenHash, now)
	must(t, "GetRefreshToken", err)
	if !gotRT.AuthTime.IsZero() || gotRT.RotatedAt != nil || gotRT.RevokedAt != nil {
		t.Errorf("refresh token AuthTime=%v RotatedAt=%v RevokedAt=%v, want zero, nil, nil", gotRT.AuthTime, gotRT.RotatedAt, gotRT.RevokedAt)
	}
}
