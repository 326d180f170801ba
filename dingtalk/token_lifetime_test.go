package dingtalk_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk"
)

// countingServer answers path with reply(n) and counts the calls.
func countingServer(t *testing.T, path string, reply func(n int32, r *http.Request) string) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, reply(calls.Add(1), r))
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestLegacySSOTokenAssumes7200s(t *testing.T) {
	srv, calls := countingServer(t, "/sso/gettoken", func(n int32, _ *http.Request) string {
		return fmt.Sprintf(`{"errcode":0,"errmsg":"ok","access_token":"sso-%d"}`, n)
	})
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := dingtalk.NewClient(dingtalk.Config{Endpoints: dingtalk.Endpoints{OAPI: srv.URL}, Now: clock.Now})
	h := c.SSO(dingtalk.SSO{CorpID: corpID, SSOSecret: ssoSecret, TokenMethod: dingtalk.TokenLegacy})

	for _, step := range []struct {
		advance time.Duration
		want    string
	}{
		{0, "sso-1"},
		{7200*time.Second - 5*time.Minute - time.Second, "sso-1"},
		{2 * time.Second, "sso-2"},
	} {
		clock.Advance(step.advance)
		tok, err := h.AccessToken(t.Context())
		if err != nil || tok != step.want {
			t.Fatalf("after +%v: %q, %v; want %q", step.advance, tok, err, step.want)
		}
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("fetches = %d, want 2", n)
	}
}

func TestSuiteTicketReadOnEveryFetch(t *testing.T) {
	var seen []string
	var mu sync.Mutex
	srv, _ := countingServer(t, "/v1.0/oauth2/corpAccessToken", func(n int32, r *http.Request) string {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, string(body))
		mu.Unlock()
		return fmt.Sprintf(`{"accessToken":"corp-%d","expireIn":7200}`, n)
	})
	ticket := "ticket-A"
	c := dingtalk.NewClient(dingtalk.Config{Endpoints: dingtalk.Endpoints{API: srv.URL}})
	s := c.Suite(dingtalk.Suite{SuiteKey: suiteKey, SuiteSecret: suiteSecret},
		func(context.Context) (string, error) { return ticket, nil })
	if _, err := s.Corp("corpA").AccessToken(t.Context()); err != nil {
		t.Fatal(err)
	}
	ticket = "ticket-B"
	if _, err := s.Corp("corpB").AccessToken(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"suiteKey":"` + suiteKey + `","suiteSecret":"` + suiteSecret + `","authCorpId":"corpA","suiteTicket":"ticket-A"}`,
		`{"suiteKey":"` + suiteKey + `","suiteSecret":"` + suiteSecret + `","authCorpId":"corpB","suiteTicket":"ticket-B"}`,
	}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("bodies\n got %v\nwant %v", seen, want)
	}
}
