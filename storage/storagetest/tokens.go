package storagetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

var accessTokenTests = []test{
	{"CreateGet", testAccessTokenCreateGet},
	{"CreateDuplicate", testAccessTokenDuplicate},
	{"GetMissingAndExpired", testAccessTokenMissingExpired},
	{"Revoke", testAccessTokenRevoke},
}

var refreshTokenTests = []test{
	{"CreateGet", testRefreshTokenCreateGet},
	{"GetMissingAndExpired", testRefreshTokenMissingExpired},
	{"RotationChain", testRefreshRotationChain},
	{"ReuseRevokesFamily", testRefreshReuse},
	{"RotateRotatedRevokesFamily", testRefreshRotateRotated},
	{"RotateUnknownExpiredRevoked", testRefreshRotateRefused},
	{"RotateConcurrentSingleUse", testRefreshRotateConcurrent},
	{"RevokeFamily", testRevokeRefreshFamily},
	{"RevokeSessionTokens", testRevokeSessionTokens},
}

func testAccessTokenCreateGet(t *testing.T, s storage.Storage) {
	now := wallNow()
	createClient(t, s, "c1", now)
	at := newAccessToken("at-1", "c1", "", "", now)
	at.Subject = "c1" // client credentials: no user, no session, no family
	at.AMR = nil
	at.AuthTime = time.Time{}
	must(t, "CreateTokens", s.CreateTokens(t.Context(), storage.TokenIssue{Access: at}))
	got, err := s.GetAccessToken(t.Context(), "at-1", now)
	must(t, "GetAccessToken", err)
	same(t, "GetAccessToken", got, at)

	full := newAccessToken("at-2", "c1", "fam-1", "sess-1", now)
	rt := newRefreshToken("rt-1", "fam-1", "c1", "sess-1", now)
	must(t, "CreateTokens with refresh", s.CreateTokens(t.Context(), storage.TokenIssue{Access: full, Refresh: rt}))
	got, err = s.GetAccessToken(t.Context(), "at-2", now)
	must(t, "GetAccessToken", err)
	same(t, "GetAccessToken", got, full)
}

func testAccessTokenDuplicate(t *testing.T, s storage.Storage) {
	now := wallNow()
	createClient(t, s, "c1", now)
	at := newAccessToken("at-1", "c1", "", "", now)
	must(t, "CreateTokens", s.CreateTokens(t.Context(), storage.TokenIssue{Access: at}))
	wantErr(t, "CreateTokens duplicate access", s.CreateTokens(t.Context(), storage.TokenIssue{Access: at}), storage.ErrAlreadyExists)

	// A duplicate refresh token rolls back the access token issued with it.
	rt := newRefreshToken("rt-1", "fam-1", "c1", "", now)
	must(t, "CreateTokens", s.CreateTokens(t.Context(), storage.TokenIssue{Access: newAccessToken("at-2", "c1", "fam-1", "", now), Refresh: rt}))
	err := s.CreateTokens(t.Context(), storage.TokenIssue{Access: newAccessToken("at-3", "c1", "fam-1", "", now), Refresh: rt})
	wantErr(t, "CreateTokens duplicate refresh", err, storage.ErrAlreadyExists)
	_, err = s.GetAccessToken(t.Context(), "at-3", now)
	wantErr(t, "GetAccessToken of rolled back issue", err, storage.ErrNotFound)
}

func testAccessTokenMissingExpired(t *testing.T, s storage.Storage) {
	now := wallNow()
	createClient(t, s, "c1", now)
	must(t, "CreateTokens", s.CreateTokens(t.Context(), storage.TokenIssue{Access: newAccessToken("at-1", "c1", "", "", now)}))
	_, err := s.GetAccessToken(t.Context(), "nope", now)
	wantErr(t, "GetAccessToken unknown", err, storage.ErrNotFound)
	_, err = s.GetAccessToken(t.Context(), "at-1", now.Add(2*time.Hour))
	wantErr(t, "GetAccessToken expired", err, storage.ErrNotFound)
	_, err = s.GetAccessToken(t.Context(), "at-1", now.Add(59*time.Minute))
	must(t, "GetAccessToken before expiry", err)
}

func testAccessTokenRevoke(t *testing.T, s storage.Storage) {
	now := wallNow()
	createClient(t, s, "c1", now)
	for _, id := range []string{"at-1", "at-2"} {
		must(t, "CreateTokens", s.CreateTokens(t.Context(), storage.TokenIssue{Access: newAccessToken(id, "c1", "", "", now)}))
	}
	must(t, "RevokeAccessToken", s.RevokeAccessToken(t.Context(), "at-1"))
	_, err := s.GetAccessToken(t.Context(), "at-1", now)
	wantErr(t, "GetAccessToken revoked", err, storage.ErrNotFound)
	_, err = s.GetAccessToken(t.Context(), "at-2", now)
	must(t, "GetAccessToken other", err)
	wantErr(t, "RevokeAccessToken again", s.RevokeAccessToken(t.Context(), "at-1"), storage.ErrNotFound)
}

func testRefreshTokenCreateGet(t *testing.T, s storage.Storage) {
	now := wallNow()
	createClient(t, s, "c1", now)
	rt := newRefreshToken("rt-1", "fam-1", "c1", "sess-1", now)
	must(t, "CreateTokens", s.CreateTokens(t.Context(), storage.TokenIssue{Access: newAccessToken("at-1", "c1", "fam-1", "sess-1", now), Refresh: rt}))
	got, err := s.GetRefreshToken(t.Context(), rt.TokenHash, now)
	must(t, "GetRefreshToken", err)
	same(t, "GetRefreshToken", got, *rt)
	if got.RotatedAt != nil || got.RevokedAt != nil {
		t.Errorf("new token RotatedAt=%v RevokedAt=%v, want nil", got.RotatedAt, got.RevokedAt)
	}
}

func testRefreshTokenMissingExpired(t *testing.T, s storage.Storage) {
	now := wallNow()
	createClient(t, s, "c1", now)
	rt := newRefreshToken("rt-1", "fam-1", "c1", "", now)
	must(t, "CreateTokens", s.CreateTokens(t.Context(), storage.TokenIssue{Access: newAccessToken("at-1", "c1", "fam-1", "", now), Refresh: rt}))
	_, err := s.GetRefreshToken(t.Context(), hash("unknown"), now)
	wantErr(t, "GetRefreshToken unknown", err, storage.ErrNotFound)
	_, err = s.GetRefreshToken(t.Context(), rt.TokenHash, now.Add(25*time.Hour))
	wantErr(t, "GetRefreshToken expired", err, storage.ErrNotFound)
}

// issueFamily stores the first link of family "fam" and returns it.
func issueFamily(t *testing.T, s storage.Storage, now time.Time) *storage.RefreshToken {
	t.Helper()
	createClient(t, s, "c1", now)
	rt := newRefreshToken("rt-0", "fam", "c1", "sess-1", now)
	must(t, "CreateTokens", s.CreateTokens(t.Context(), storage.TokenIssue{Access: newAccessToken("at-0", "c1", "fam", "sess-1", now), Refresh: rt}))
	return rt
}

// rotation is the issue that replaces link i-1 of family "fam" with link i.
func rotation(i int, now time.Time) storage.TokenIssue {
	return storage.TokenIssue{
		Access:  newAccessToken(fmt.Sprintf("at-%d", i), "c1", "fam", "sess-1", now),
		Refresh: newRefreshToken(fmt.Sprintf("rt-%d", i), "fam", "c1", "sess-1", now),
	}
}

func testRefreshRotationChain(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	prev := issueFamily(t, s, now)
	for i := 1; i <= 3; i++ {
		at := now.Add(time.Duration(i) * time.Minute)
		issue := rotation(i, at)
		must(t, fmt.Sprintf("RotateRefreshToken #%d", i), s.RotateRefreshToken(ctx, prev.TokenHash, at, issue))
		got, err := s.GetRefreshToken(ctx, issue.Refresh.TokenHash, at)
		must(t, "GetRefreshToken successor", err)
		same(t, "successor", got, *issue.Refresh)
		_, err = s.GetAccessToken(ctx, issue.Access.ID, at)
		must(t, "GetAccessToken successor", err)
		prev = issue.Refresh
	}
	// Access tokens of earlier links stay valid until they expire.
	_, err := s.GetAccessToken(ctx, "at-0", now)
	must(t, "GetAccessToken of first link", err)
}

func testRefreshReuse(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	first := issueFamily(t, s, now)
	next := rotation(1, now)
	must(t, "RotateRefreshToken", s.RotateRefreshToken(ctx, first.TokenHash, now, next))

	_, err := s.GetRefreshToken(ctx, first.TokenHash, now)
	wantErr(t, "GetRefreshToken of rotated token", err, storage.ErrTokenReused)

	_, err = s.GetRefreshToken(ctx, next.Refresh.TokenHash, now)
	wantErr(t, "GetRefreshToken of successor after reuse", err, storage.ErrNotFound)
	err = s.RotateRefreshToken(ctx, next.Refresh.TokenHash, now, rotation(2, now))
	wantErr(t, "RotateRefreshToken of successor after reuse", err, storage.ErrNotFound)
	for _, id := range []string{"at-0", "at-1", "at-2"} {
		_, err = s.GetAccessToken(ctx, id, now)
		wantErr(t, "GetAccessToken "+id+" after reuse", err, storage.ErrNotFound)
	}
}

func testRefreshRotateRotated(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	first := issueFamily(t, s, now)
	next := rotation(1, now)
	must(t, "RotateRefreshToken", s.RotateRefreshToken(ctx, first.TokenHash, now, next))
	err := s.RotateRefreshToken(ctx, first.TokenHash, now, rotation(2, now))
	wantErr(t, "RotateRefreshToken of rotated token", err, storage.ErrTokenReused)
	_, err = s.GetRefreshToken(ctx, next.Refresh.TokenHash, now)
	wantErr(t, "GetRefreshToken of successor", err, storage.ErrNotFound)
	for _, id := range []string{"at-0", "at-1", "at-2"} {
		_, err = s.GetAccessToken(ctx, id, now)
		wantErr(t, "GetAccessToken "+id, err, storage.ErrNotFound)
	}
}

func testRefreshRotateRefused(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	first := issueFamily(t, s, now)
	err := s.RotateRefreshToken(ctx, hash("unknown"), now, rotation(1, now))
	wantErr(t, "RotateRefreshToken unknown", err, storage.ErrNotFound)
	err = s.RotateRefreshToken(ctx, first.TokenHash, now.Add(25*time.Hour), rotation(2, now))
	wantErr(t, "RotateRefreshToken expired", err, storage.ErrNotFound)
	must(t, "RevokeRefreshFamily", s.RevokeRefreshFamily(ctx, "fam"))
	err = s.RotateRefreshToken(ctx, first.TokenHash, now, rotation(3, now))
	wantErr(t, "RotateRefreshToken revoked", err, storage.ErrNotFound)
	for _, id := range []string{"at-1", "at-2", "at-3"} {
		_, err = s.GetAccessToken(ctx, id, now)
		wantErr(t, "GetAccessToken of refused rotation "+id, err, storage.ErrNotFound)
	}
}

func testRefreshRotateConcurrent(t *testing.T, s storage.Storage) {
	const n = 50
	now := wallNow()
	first := issueFamily(t, s, now)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.RotateRefreshToken(t.Context(), first.TokenHash, now, rotation(i+1, now))
		})
	}
	close(start)
	wg.Wait()
	winners := 0
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
		case !isAny(err, storage.ErrTokenReused, storage.ErrNotFound):
			t.Errorf("RotateRefreshToken #%d: err = %v, want nil, ErrTokenReused or ErrNotFound", i, err)
		}
	}
	if winners != 1 {
		t.Errorf("%d of %d concurrent rotations succeeded, want exactly 1", winners, n)
	}
}

func testRevokeRefreshFamily(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	first := issueFamily(t, s, now)
	next := rotation(1, now)
	must(t, "RotateRefreshToken", s.RotateRefreshToken(ctx, first.TokenHash, now, next))
	other := newRefreshToken("rt-other", "fam-other", "c1", "sess-1", now)
	must(t, "CreateTokens", s.CreateTokens(ctx, storage.TokenIssue{Access: newAccessToken("at-other", "c1", "fam-other", "sess-1", now), Refresh: other}))

	must(t, "RevokeRefreshFamily", s.RevokeRefreshFamily(ctx, "fam"))
	_, err := s.GetRefreshToken(ctx, next.Refresh.TokenHash, now)
	wantErr(t, "GetRefreshToken revoked", err, storage.ErrNotFound)
	for _, id := range []string{"at-0", "at-1"} {
		_, err = s.GetAccessToken(ctx, id, now)
		wantErr(t, "GetAccessToken "+id+" of revoked family", err, storage.ErrNotFound)
	}
	_, err = s.GetRefreshToken(ctx, other.TokenHash, now)
	must(t, "GetRefreshToken of other family", err)
	_, err = s.GetAccessToken(ctx, "at-other", now)
	must(t, "GetAccessToken of other family", err)
	must(t, "RevokeRefreshFamily again", s.RevokeRefreshFamily(ctx, "fam"))
}

func testRevokeSessionTokens(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	createClient(t, s, "c1", now)
	for _, sess := range []string{"sess-1", "sess-2"} {
		must(t, "CreateTokens", s.CreateTokens(ctx, storage.TokenIssue{
			Access:  newAccessToken("at-"+sess, "c1", "fam-"+sess, sess, now),
			Refresh: newRefreshToken("rt-"+sess, "fam-"+sess, "c1", sess, now),
		}))
		// An access token bound to the session but to no refresh family.
		must(t, "CreateTokens", s.CreateTokens(ctx, storage.TokenIssue{Access: newAccessToken("at-solo-"+sess, "c1", "", sess, now)}))
	}
	must(t, "RevokeSessionTokens", s.RevokeSessionTokens(ctx, "sess-1"))
	for _, id := range []string{"at-sess-1", "at-solo-sess-1"} {
		_, err := s.GetAccessToken(ctx, id, now)
		wantErr(t, "GetAccessToken "+id, err, storage.ErrNotFound)
	}
	_, err := s.GetRefreshToken(ctx, hash("refresh-rt-sess-1"), now)
	wantErr(t, "GetRefreshToken of revoked session", err, storage.ErrNotFound)
	for _, id := range []string{"at-sess-2", "at-solo-sess-2"} {
		_, err := s.GetAccessToken(ctx, id, now)
		must(t, "GetAccessToken "+id+" of other session", err)
	}
	_, err = s.GetRefreshToken(ctx, hash("refresh-rt-sess-2"), now)
	must(t, "GetRefreshToken of other session", err)
}
