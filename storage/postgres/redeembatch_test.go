package postgres_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/storage"
	"github.com/dingbridge/dingbridge/storage/postgres"
	"github.com/dingbridge/dingbridge/storage/postgres/postgrestest"
)

func digest(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// codeFixture stores client clientID (with a back-channel logout URI) and,
// for each name, a completed request of that client whose code is
// digest(name) and whose session is "sess-"+name.
func codeFixture(t *testing.T, s *postgres.Store, clientID string, now time.Time, names ...string) {
	t.Helper()
	ctx := t.Context()
	err := s.CreateClient(ctx, storage.Client{
		ID: clientID, Name: clientID, ApplicationType: "web", RedirectURIs: []string{"https://rp.example/cb"},
		GrantTypes: []string{"authorization_code", "refresh_token"}, AccessTokenFormat: "opaque",
		BackchannelLogoutURI: "https://rp.example/bcl",
		AccessTokenTTL:       time.Hour, IDTokenTTL: time.Hour, RefreshTokenTTL: 24 * time.Hour,
		CreatedAt: now, UpdatedAt: now,
	})
	if err != nil {
		t.Fatalf("CreateClient: %v", err)
	}
	for i, name := range names {
		id := clientID + "-" + name
		err := s.CreateAuthRequest(ctx, storage.AuthRequest{
			ID: id, ClientID: clientID, RedirectURI: "https://rp.example/cb", Scopes: []string{"openid"},
			ResponseType: "code", ResponseMode: "query", State: "state", Nonce: "nonce",
			CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute),
		})
		if err != nil {
			t.Fatalf("CreateAuthRequest %s: %v", id, err)
		}
		_, _, err = s.CompleteLogin(ctx, storage.LoginCompletion{
			AuthRequestID: id,
			Identity: &storage.Identity{CorpID: "ding-corp-a", UserID: fmt.Sprintf("%s-user-%d", clientID, i),
				UnionID: fmt.Sprintf("%s-union-%d", clientID, i), Profile: storage.Profile{Name: name, Active: true}},
			NewSubject: fmt.Sprintf("%s-sub-%d", clientID, i),
			Session: storage.Session{ID: "sess-" + name, AuthTime: now, AMR: []string{"dingtalk"},
				CorpID: "ding-corp-a", CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
			AuthTime: now, AMR: []string{"dingtalk"}, Now: now,
			CodeHash: digest(name), CodeExpiresAt: now.Add(time.Minute),
		})
		if err != nil {
			t.Fatalf("CompleteLogin %s: %v", id, err)
		}
	}
}

// issueFor is the TokenIssue redeeming code name of client clientID: an
// access token "at-<name>", and with refresh a refresh token "rt-<name>".
func issueFor(clientID, name string, now time.Time, refresh, link bool) storage.TokenIssue {
	issue := storage.TokenIssue{
		Access: storage.AccessToken{
			ID: "at-" + name, ClientID: clientID, Subject: "sub-" + name, Audience: []string{clientID},
			Scopes: []string{"openid", "offline_access"}, SessionID: "sess-" + name, FamilyID: "fam-" + name,
			AuthTime: now.Add(-time.Minute), AMR: []string{"dingtalk"}, CreatedAt: now, ExpiresAt: now.Add(time.Hour),
		},
		LinkSession: link,
	}
	if refresh {
		issue.Refresh = &storage.RefreshToken{
			ID: "rt-" + name, TokenHash: digest("refresh-" + name), FamilyID: "fam-" + name, ClientID: clientID,
			Subject: "sub-" + name, Audience: []string{clientID}, Scopes: []string{"openid", "offline_access"},
			SessionID: "sess-" + name, AuthTime: now.Add(-time.Minute), AMR: []string{"dingtalk"},
			CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour),
		}
	}
	return issue
}

// together runs calls at once against s: the first is held before it is
// sent until all the others have queued behind it, so that they are sent
// as one statement. It returns each call's error.
func together(t *testing.T, s *postgres.Store, calls ...func() error) []error {
	t.Helper()
	held, queued, release := postgres.HoldRedemptions(s)
	defer release()
	errs := make([]error, len(calls))
	done := make(chan int, len(calls))
	go func() { errs[0] = calls[0](); done <- 0 }()
	select {
	case <-held:
	case <-time.After(10 * time.Second):
		t.Fatal("the first redemption was not sent")
	}
	for i := 1; i < len(calls); i++ {
		go func() { errs[i] = calls[i](); done <- i }()
	}
	for deadline := time.Now().Add(10 * time.Second); queued() < len(calls)-1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d redemptions queued", queued(), len(calls)-1)
		}
	}
	release()
	for range calls {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("a redemption did not return")
		}
	}
	return errs
}

// TestRedeemTogether checks redemptions that queue behind a running one
// and are sent as one statement, in each statement form: each is judged
// alone, a code presented twice is spent once, and what is stored is what
// the single-row statement stores.
func TestRedeemTogether(t *testing.T) {
	for _, form := range []struct {
		name          string
		refresh, link bool
	}{{"access", false, false}, {"refresh", true, false}, {"link", false, true}, {"refresh and link", true, true}} {
		t.Run(form.name, func(t *testing.T) {
			s := postgrestest.New(t)
			ctx := t.Context()
			now := time.Now().UTC().Truncate(time.Microsecond)
			codeFixture(t, s, "rp", now, "first", "a", "b", "c")
			codeFixture(t, s, "gone", now, "orphan")
			if err := s.DeleteClient(ctx, "gone"); err != nil {
				t.Fatal(err)
			}
			redeem := func(code, token string) func() error {
				return func() error {
					return s.RedeemAuthCode(ctx, digest(code), now, issueFor("rp", token, now, form.refresh, form.link))
				}
			}
			errs := together(t, s,
				redeem("first", "first"),
				redeem("a", "a"),
				redeem("b", "b"),
				redeem("b", "b-again"),       // the same code twice
				redeem("unknown", "unknown"), // never issued
				redeem("orphan", "orphan"),   // its client is gone
				redeem("c", "c"),
			)
			if n := postgres.RedemptionBatches(s); n != 1 {
				t.Errorf("the queued redemptions were sent in %d statements of several, want 1", n)
			}
			for i, name := range []string{"first", "a", "", "", "", "", "c"} {
				if name != "" && errs[i] != nil {
					t.Errorf("redeem %s: %v", name, errs[i])
				}
			}
			bOK := 0
			for _, err := range errs[2:4] {
				switch {
				case err == nil:
					bOK++
				case !errors.Is(err, storage.ErrNotFound):
					t.Errorf("redeem b: %v, want nil or ErrNotFound", err)
				}
			}
			if bOK != 1 {
				t.Errorf("code b presented twice was redeemed %d times, want 1", bOK)
			}
			for i, what := range map[int]string{4: "unknown code", 5: "code of a deleted client"} {
				if !errors.Is(errs[i], storage.ErrNotFound) {
					t.Errorf("redeem %s: %v, want ErrNotFound", what, errs[i])
				}
			}
			winnerB := "b"
			if errs[2] != nil {
				winnerB = "b-again"
			}
			for _, name := range []string{"first", "a", winnerB, "c"} {
				want := issueFor("rp", name, now, form.refresh, form.link)
				got, err := s.GetAccessToken(ctx, "at-"+name, now)
				if err != nil {
					t.Errorf("access token of %s: %v", name, err)
				} else if got.Subject != want.Access.Subject || got.SessionID != want.Access.SessionID ||
					!slices.Equal(got.Scopes, want.Access.Scopes) || !got.ExpiresAt.Equal(want.Access.ExpiresAt) ||
					!got.AuthTime.Equal(want.Access.AuthTime) || got.FamilyID != want.Access.FamilyID {
					t.Errorf("access token of %s = %+v, want %+v", name, got, want.Access)
				}
				rt, err := s.GetRefreshToken(ctx, digest("refresh-"+name), now)
				switch {
				case form.refresh && err != nil:
					t.Errorf("refresh token of %s: %v", name, err)
				case form.refresh && (rt.ID != "rt-"+name || rt.FamilyID != "fam-"+name || !rt.ExpiresAt.Equal(want.Refresh.ExpiresAt)):
					t.Errorf("refresh token of %s = %+v, want %+v", name, rt, want.Refresh)
				case !form.refresh && !errors.Is(err, storage.ErrNotFound):
					t.Errorf("refresh token of %s without a refresh token issued: %v", name, err)
				}
				links, err := s.ListSessionClients(ctx, "sess-"+name)
				if err != nil {
					t.Fatal(err)
				}
				if n := len(links); n != map[bool]int{true: 1, false: 0}[form.link] {
					t.Errorf("session links of %s = %v, want %v", name, links, form.link)
				}
			}
			for _, name := range []string{"unknown", "orphan", map[string]string{"b": "b-again", "b-again": "b"}[winnerB]} {
				if _, err := s.GetAccessToken(ctx, "at-"+name, now); !errors.Is(err, storage.ErrNotFound) {
					t.Errorf("access token of the refused redemption %s: %v, want ErrNotFound", name, err)
				}
			}
			if err := redeem("a", "a-again")(); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("redeeming a again: %v, want ErrNotFound", err)
			}
		})
	}
}

// TestRedeemTogetherStatementFails checks that when the statement of
// queued redemptions fails as a whole (here two of them carry the same
// access token ID), each is sent again on its own.
func TestRedeemTogetherStatementFails(t *testing.T) {
	s := postgrestest.New(t)
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Microsecond)
	codeFixture(t, s, "rp", now, "first", "x", "y")
	same := issueFor("rp", "dup", now, false, false)
	errs := together(t, s,
		func() error {
			return s.RedeemAuthCode(ctx, digest("first"), now, issueFor("rp", "first", now, false, false))
		},
		func() error { return s.RedeemAuthCode(ctx, digest("x"), now, same) },
		func() error { return s.RedeemAuthCode(ctx, digest("y"), now, same) },
	)
	if errs[0] != nil {
		t.Errorf("redeem first: %v", errs[0])
	}
	if n := postgres.RedemptionBatches(s); n != 0 {
		t.Errorf("%d statements of several redemptions succeeded, want 0", n)
	}
	ok, dup := 0, 0
	for _, err := range errs[1:] {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, storage.ErrAlreadyExists):
			dup++
		default:
			t.Errorf("redeem with a duplicate token ID: %v", err)
		}
	}
	if ok != 1 || dup != 1 {
		t.Errorf("of two redemptions with one token ID, %d succeeded and %d got ErrAlreadyExists, want 1 and 1", ok, dup)
	}
}

// TestRedeemQueuedCaller checks that a queued caller whose context ends
// returns at once, and that its code, never sent, can still be redeemed.
func TestRedeemQueuedCaller(t *testing.T) {
	s := postgrestest.New(t)
	now := time.Now().UTC().Truncate(time.Microsecond)
	codeFixture(t, s, "rp", now, "first", "late")
	gone, cancel := context.WithCancel(t.Context())
	errs := together(t, s,
		func() error {
			return s.RedeemAuthCode(t.Context(), digest("first"), now, issueFor("rp", "first", now, false, false))
		},
		func() error {
			cancel()
			return s.RedeemAuthCode(gone, digest("late"), now, issueFor("rp", "late", now, false, false))
		},
	)
	if errs[0] != nil {
		t.Errorf("redeem first: %v", errs[0])
	}
	if !errors.Is(errs[1], context.Canceled) {
		t.Errorf("redeem with an ended context: %v, want context.Canceled", errs[1])
	}
	if err := s.RedeemAuthCode(t.Context(), digest("late"), now, issueFor("rp", "late", now, false, false)); err != nil {
		t.Errorf("redeeming the code the ended caller held: %v", err)
	}
}
