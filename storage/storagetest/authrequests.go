package storagetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

var authRequestTests = []test{
	{"CreateGet", testAuthRequestCreateGet},
	{"CreateStoresCompletionFields", testAuthRequestCreateCompleted},
	{"MaxAgeNilAndZero", testAuthRequestMaxAge},
	{"CreateDuplicate", testAuthRequestDuplicate},
	{"GetMissing", testAuthRequestMissing},
	{"GetExpired", testAuthRequestExpired},
	{"Delete", testAuthRequestDelete},
}

var authCodeTests = []test{
	{"SaveOnlyOnCompletedRequest", testSaveAuthCodeRequiresDone},
	{"SaveOnExpiredRequest", testSaveAuthCodeExpiredRequest},
	{"GetByCodeDoesNotConsume", testGetByCode},
	{"GetByCodeUnknown", testGetByCodeUnknown},
	{"ExpiredCode", testAuthCodeExpired},
	{"Redeem", testRedeemAuthCode},
	{"RedeemWithoutRefresh", testRedeemWithoutRefresh},
	{"RedeemUnknown", testRedeemUnknown},
	{"DeleteRequestRemovesCode", testDeleteRequestRemovesCode},
	{"RedeemConcurrentSingleUse", testRedeemConcurrent},
}

func testAuthRequestCreateGet(t *testing.T, s storage.Storage) {
	now := wallNow()
	createClient(t, s, "c1", now)
	r := createAuthRequest(t, s, "req-1", "c1", now)
	got, err := s.GetAuthRequest(t.Context(), "req-1")
	must(t, "GetAuthRequest", err)
	same(t, "GetAuthRequest", got, r)
	if got.Done || got.Subject != "" || got.SessionID != "" || !got.AuthTime.IsZero() || got.CodeHash != nil || !got.CodeExpiresAt.IsZero() {
		t.Errorf("new request has completion fields set: %+v", got)
	}
}

// testAuthRequestCreateCompleted checks that CreateAuthRequest stores a
// request's completion and code fields as given: one stored done (a
// failed login's marker) and one stored done with a code, which
// GetAuthRequestByCode then finds.
func testAuthRequestCreateCompleted(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	createClient(t, s, "c1", now)
	marker := newAuthRequest("failed", "c1", now)
	marker.Done = true
	done := newAuthRequest("done", "c1", now)
	done.Done, done.Subject, done.SessionID = true, "sub-1", "sess-1"
	done.AuthTime, done.AMR = local(now.Add(-time.Minute)), []string{"dingtalk", "otp"}
	done.CodeHash, done.CodeExpiresAt = hash("code-1"), local(now.Add(time.Minute))
	for _, r := range []storage.AuthRequest{marker, done} {
		must(t, "CreateAuthRequest "+r.ID, s.CreateAuthRequest(ctx, r))
		got, err := s.GetAuthRequest(ctx, r.ID)
		must(t, "GetAuthRequest "+r.ID, err)
		same(t, "GetAuthRequest "+r.ID, got, r)
	}
	got, err := s.GetAuthRequestByCode(ctx, hash("code-1"), now)
	must(t, "GetAuthRequestByCode", err)
	same(t, "GetAuthRequestByCode", got, done)
}

func testAuthRequestMaxAge(t *testing.T, s storage.Storage) {
	now := wallNow()
	createClient(t, s, "c1", now)
	zero := int64(0)
	for _, tc := range []struct {
		id     string
		maxAge *int64
	}{{"nil", nil}, {"zero", &zero}} {
		r := newAuthRequest(tc.id, "c1", now)
		r.MaxAge = tc.maxAge
		r.Prompt, r.UILocales, r.ACRValues, r.Params = nil, nil, nil, nil
		must(t, "CreateAuthRequest", s.CreateAuthRequest(t.Context(), r))
		got, err := s.GetAuthRequest(t.Context(), tc.id)
		must(t, "GetAuthRequest", err)
		same(t, "GetAuthRequest "+tc.id, got, r)
		if (got.MaxAge == nil) != (tc.maxAge == nil) {
			t.Errorf("MaxAge %s: got %v, want %v", tc.id, got.MaxAge, tc.maxAge)
		}
	}
}

func testAuthRequestDuplicate(t *testing.T, s storage.Storage) {
	now := wallNow()
	createClient(t, s, "c1", now)
	createAuthRequest(t, s, "req-1", "c1", now)
	wantErr(t, "CreateAuthRequest duplicate", s.CreateAuthRequest(t.Context(), newAuthRequest("req-1", "c1", now)), storage.ErrAlreadyExists)
}

func testAuthRequestMissing(t *testing.T, s storage.Storage) {
	_, err := s.GetAuthRequest(t.Context(), "nope")
	wantErr(t, "GetAuthRequest", err, storage.ErrNotFound)
}

func testAuthRequestExpired(t *testing.T, s storage.Storage) {
	now := wallNow()
	createClient(t, s, "c1", now)
	r := newAuthRequest("old", "c1", now.Add(-time.Hour))
	must(t, "CreateAuthRequest", s.CreateAuthRequest(t.Context(), r))
	_, err := s.GetAuthRequest(t.Context(), "old")
	wantErr(t, "GetAuthRequest expired", err, storage.ErrNotFound)
}

func testAuthRequestDelete(t *testing.T, s storage.Storage) {
	now := wallNow()
	createClient(t, s, "c1", now)
	createAuthRequest(t, s, "req-1", "c1", now)
	createAuthRequest(t, s, "req-2", "c1", now)
	must(t, "DeleteAuthRequest", s.DeleteAuthRequest(t.Context(), "req-1"))
	_, err := s.GetAuthRequest(t.Context(), "req-1")
	wantErr(t, "GetAuthRequest deleted", err, storage.ErrNotFound)
	_, err = s.GetAuthRequest(t.Context(), "req-2")
	must(t, "GetAuthRequest kept", err)
	wantErr(t, "DeleteAuthRequest again", s.DeleteAuthRequest(t.Context(), "req-1"), storage.ErrNotFound)
}

func testSaveAuthCodeRequiresDone(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	createClient(t, s, "c1", now)
	createAuthRequest(t, s, "pending", "c1", now)
	wantErr(t, "SaveAuthCode on pending request", s.SaveAuthCode(ctx, "pending", hash("code"), local(now.Add(time.Minute))), storage.ErrNotFound)
	_, err := s.GetAuthRequestByCode(ctx, hash("code"), now)
	wantErr(t, "GetAuthRequestByCode after refused save", err, storage.ErrNotFound)
	wantErr(t, "SaveAuthCode on unknown request", s.SaveAuthCode(ctx, "nope", hash("code"), local(now.Add(time.Minute))), storage.ErrNotFound)

	login(t, s, "pending", "sub-1", "sess-1", now)
	must(t, "SaveAuthCode on completed request", s.SaveAuthCode(ctx, "pending", hash("code"), local(now.Add(time.Minute))))
	got, err := s.GetAuthRequest(ctx, "pending")
	must(t, "GetAuthRequest", err)
	if !sameBytes(got.CodeHash, hash("code")) {
		t.Errorf("CodeHash = %x, want %x", got.CodeHash, hash("code"))
	}
	same(t, "CodeExpiresAt", got.CodeExpiresAt, utc(local(now.Add(time.Minute))))
}

func testSaveAuthCodeExpiredRequest(t *testing.T, s storage.Storage) {
	// Completed while still valid (by the completion's clock), expired by
	// the wall clock when the code is saved.
	then := wallNow().Add(-time.Hour)
	createClient(t, s, "c1", then)
	createAuthRequest(t, s, "old", "c1", then)
	login(t, s, "old", "sub-1", "sess-1", then)
	err := s.SaveAuthCode(t.Context(), "old", hash("code"), local(wallNow().Add(time.Minute)))
	wantErr(t, "SaveAuthCode on expired request", err, storage.ErrNotFound)
}

func testGetByCode(t *testing.T, s storage.Storage) {
	now := wallNow()
	want := codeRequest(t, s, "r1", "code-1", now)
	if !want.Done || want.Subject != "sub-r1" {
		t.Fatalf("completed request: Done=%v Subject=%q", want.Done, want.Subject)
	}
	for i := range 2 {
		got, err := s.GetAuthRequestByCode(t.Context(), hash("code-1"), now)
		must(t, fmt.Sprintf("GetAuthRequestByCode #%d", i+1), err)
		same(t, "GetAuthRequestByCode", got, want)
	}
}

func testGetByCodeUnknown(t *testing.T, s storage.Storage) {
	now := wallNow()
	codeRequest(t, s, "r1", "code-1", now)
	_, err := s.GetAuthRequestByCode(t.Context(), hash("other"), now)
	wantErr(t, "GetAuthRequestByCode unknown", err, storage.ErrNotFound)
}

func testAuthCodeExpired(t *testing.T, s storage.Storage) {
	now := wallNow()
	codeRequest(t, s, "r1", "code-1", now)
	later := now.Add(2 * time.Minute) // the code lives one minute
	_, err := s.GetAuthRequestByCode(t.Context(), hash("code-1"), later)
	wantErr(t, "GetAuthRequestByCode expired", err, storage.ErrNotFound)
	err = s.RedeemAuthCode(t.Context(), hash("code-1"), later, storage.TokenIssue{Access: newAccessToken("at", "client-r1", "", "", now)})
	wantErr(t, "RedeemAuthCode expired", err, storage.ErrNotFound)
	_, err = s.GetAccessToken(t.Context(), "at", now)
	wantErr(t, "GetAccessToken after refused redeem", err, storage.ErrNotFound)
}

func testRedeemAuthCode(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	codeRequest(t, s, "r1", "code-1", now)
	issue := storage.TokenIssue{
		Access:  newAccessToken("at-1", "client-r1", "fam-1", "sess-r1", now),
		Refresh: newRefreshToken("rt-1", "fam-1", "client-r1", "sess-r1", now),
	}
	must(t, "RedeemAuthCode", s.RedeemAuthCode(ctx, hash("code-1"), now, issue))

	at, err := s.GetAccessToken(ctx, "at-1", now)
	must(t, "GetAccessToken", err)
	same(t, "GetAccessToken", at, issue.Access)
	rt, err := s.GetRefreshToken(ctx, issue.Refresh.TokenHash, now)
	must(t, "GetRefreshToken", err)
	same(t, "GetRefreshToken", rt, *issue.Refresh)

	spentRequest(t, s, "r1")
	_, err = s.GetAuthRequestByCode(ctx, hash("code-1"), now)
	wantErr(t, "GetAuthRequestByCode after redeem", err, storage.ErrNotFound)
	err = s.RedeemAuthCode(ctx, hash("code-1"), now, storage.TokenIssue{Access: newAccessToken("at-2", "client-r1", "", "", now)})
	wantErr(t, "second RedeemAuthCode", err, storage.ErrNotFound)
	_, err = s.GetAccessToken(ctx, "at-2", now)
	wantErr(t, "GetAccessToken of second redeem", err, storage.ErrNotFound)
}

func testRedeemWithoutRefresh(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	codeRequest(t, s, "r1", "code-1", now)
	at := newAccessToken("at-1", "client-r1", "", "sess-r1", now)
	must(t, "RedeemAuthCode", s.RedeemAuthCode(ctx, hash("code-1"), now, storage.TokenIssue{Access: at}))
	got, err := s.GetAccessToken(ctx, "at-1", now)
	must(t, "GetAccessToken", err)
	same(t, "GetAccessToken", got, at)
	spentRequest(t, s, "r1")
}

// spentRequest checks that the request id, its code redeemed, is still
// stored, done and without a code to redeem.
func spentRequest(t *testing.T, s storage.Storage, id string) {
	t.Helper()
	r, err := s.GetAuthRequest(t.Context(), id)
	must(t, "GetAuthRequest after redeem", err)
	if !r.Done || !r.CodeExpiresAt.IsZero() {
		t.Errorf("request after redeem: done %v, code expires %v; want done, no code expiry", r.Done, r.CodeExpiresAt)
	}
}

func testDeleteRequestRemovesCode(t *testing.T, s storage.Storage) {
	now := wallNow()
	codeRequest(t, s, "r1", "code-1", now)
	must(t, "DeleteAuthRequest", s.DeleteAuthRequest(t.Context(), "r1"))
	_, err := s.GetAuthRequestByCode(t.Context(), hash("code-1"), now)
	wantErr(t, "GetAuthRequestByCode after delete", err, storage.ErrNotFound)
	err = s.RedeemAuthCode(t.Context(), hash("code-1"), now, storage.TokenIssue{Access: newAccessToken("at-1", "client-r1", "", "", now)})
	wantErr(t, "RedeemAuthCode after delete", err, storage.ErrNotFound)
}

func testRedeemUnknown(t *testing.T, s storage.Storage) {
	now := wallNow()
	err := s.RedeemAuthCode(t.Context(), hash("never-issued"), now, storage.TokenIssue{Access: newAccessToken("at", "c", "", "", now)})
	wantErr(t, "RedeemAuthCode unknown", err, storage.ErrNotFound)
}

func testRedeemConcurrent(t *testing.T, s storage.Storage) {
	const n = 50
	now := wallNow()
	codeRequest(t, s, "r1", "code-1", now)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			issue := storage.TokenIssue{
				Access:  newAccessToken(fmt.Sprintf("at-%d", i), "client-r1", fmt.Sprintf("fam-%d", i), "sess-r1", now),
				Refresh: newRefreshToken(fmt.Sprintf("rt-%d", i), fmt.Sprintf("fam-%d", i), "client-r1", "sess-r1", now),
			}
			errs[i] = s.RedeemAuthCode(t.Context(), hash("code-1"), now, issue)
		})
	}
	close(start)
	wg.Wait()

	winners, stored := 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
		default:
			wantErr(t, fmt.Sprintf("RedeemAuthCode #%d", i), err, storage.ErrNotFound)
		}
		if _, err := s.GetAccessToken(t.Context(), fmt.Sprintf("at-%d", i), now); err == nil {
			stored++
			if errs[i] != nil {
				t.Errorf("access token of failed redeem #%d was stored", i)
			}
		} else {
			wantErr(t, "GetAccessToken", err, storage.ErrNotFound)
		}
	}
	if winners != 1 {
		t.Errorf("%d of %d concurrent redeems succeeded, want exactly 1", winners, n)
	}
	if stored != 1 {
		t.Errorf("%d access tokens stored, want exactly 1", stored)
	}
}
