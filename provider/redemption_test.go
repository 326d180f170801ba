package provider

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

// TestTokensWaitForRedemption: the code's redemption runs while the
// tokens are signed (or before, when other requests are being served),
// and the token endpoint answers only with what the database accepted. When the redemption fails (the database is down, or
// another replica redeemed the code first) no token leaves the process,
// whatever was signed meanwhile.
func TestTokensWaitForRedemption(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { testTokensWaitForRedemption(t, b.open(t)) })
	}
}

func testTokensWaitForRedemption(t *testing.T, s storage.Storage) {
	e := newEnv(t, s)
	clients := map[string]testClient{
		"opaque": e.addClient("opaque", nil),
		"jwt":    e.addClient("jwt", func(c *storage.Client) { c.AccessTokenFormat = "jwt" }),
	}
	scopes := map[string]string{"without refresh": "openid profile", "with refresh": "openid profile offline_access"}
	codeFor := func(t *testing.T, c testClient, scope string) (string, string) {
		t.Helper()
		return e.codeWith(t, c, url.Values{"scope": {scope}})
	}
	noTokens := func(t *testing.T, body map[string]any) {
		t.Helper()
		for _, k := range []string{"access_token", "id_token", "refresh_token"} {
			if _, ok := body[k]; ok {
				t.Errorf("error answer carries %s: %v", k, body)
			}
		}
	}
	for _, busy := range []bool{false, true} {
		for cname, c := range clients {
			for sname, scope := range scopes {
				name := cname + " " + sname
				if busy {
					name += " busy"
				}
				t.Run(name, func(t *testing.T) {
					t.Cleanup(func() { e.store.beforeRedeem.Store(nil) })
					if busy {
						// Another request in flight: the redemption runs
						// before the signing.
						e.p.inflight.Add(1)
						t.Cleanup(func() { e.p.inflight.Add(-1) })
					}

					// The database fails: server_error, and the code stays
					// unused, so the client can present it again.
					code, v := codeFor(t, c, scope)
					down := func(context.Context, []byte, time.Time, storage.TokenIssue) error {
						return errors.New("database unavailable")
					}
					e.store.beforeRedeem.Store(&down)
					status, body := e.exchange(t, c, true, code, v)
					wantOAuthError(t, "exchange with the database down", status, body, http.StatusInternalServerError, "server_error")
					noTokens(t, body)
					e.store.beforeRedeem.Store(nil)
					status, body = e.exchange(t, c, true, code, v)
					if status != http.StatusOK || body["id_token"] == nil || body["access_token"] == nil {
						t.Fatalf("exchange once the database is back: %d %v", status, body)
					}
					if _, ok := body["refresh_token"]; ok != (sname == "with refresh") {
						t.Errorf("refresh token present = %v, scope %q", ok, scope)
					}

					// Another replica redeems the code while this one signs:
					// invalid_grant, and nothing of what was signed is sent.
					code, v = codeFor(t, c, scope)
					race := func(ctx context.Context, h []byte, now time.Time, issue storage.TokenIssue) error {
						other := issue
						other.Access.ID = "other-" + issue.Access.ID
						if issue.Refresh != nil {
							r := *issue.Refresh
							r.ID, r.TokenHash = "other-"+r.ID, digest("other-"+r.ID)
							other.Refresh = &r
						}
						if err := e.store.Storage.RedeemAuthCode(ctx, h, now, other); err != nil {
							t.Errorf("the other replica's redemption: %v", err)
						}
						return nil
					}
					e.store.beforeRedeem.Store(&race)
					status, body = e.exchange(t, c, true, code, v)
					wantOAuthError(t, "exchange that lost the race", status, body, http.StatusBadRequest, "invalid_grant")
					noTokens(t, body)
				})
			}
		}
	}
}

func TestRedemption(t *testing.T) {
	r := newRedemption()
	if err := r.wait(); err != nil {
		t.Fatalf("wait before start = %v, want nil", err)
	}
	release := make(chan struct{})
	runs := 0
	fail := errors.New("refused")
	r.start(func() error { <-release; runs++; return fail })
	r.start(func() error { runs++; return nil })
	waited := make(chan error)
	go func() { waited <- r.wait() }()
	select {
	case err := <-waited:
		t.Fatalf("wait returned %v before the redemption ended", err)
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	if err := <-waited; !errors.Is(err, fail) {
		t.Errorf("wait = %v, want %v", err, fail)
	}
	if runs != 1 {
		t.Errorf("redeem ran %d times, want 1", runs)
	}
}
