package dingtalk_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk"
)

// memStore is a TokenStore in memory, shared by Clients in a test.
type memStore struct {
	mu     sync.Mutex
	tokens map[string]memToken
}

type memToken struct {
	token     string
	expiresAt time.Time
}

var _ dingtalk.TokenStore = (*memStore)(nil)

func newMemStore() *memStore { return &memStore{tokens: make(map[string]memToken)} }

func (s *memStore) GetToken(_ context.Context, key string) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[key]
	if !ok {
		return "", time.Time{}, fmt.Errorf("get %s: %w", key, dingtalk.ErrTokenNotFound)
	}
	return t.token, t.expiresAt, nil
}

func (s *memStore) PutToken(_ context.Context, key, token string, expiresAt time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[key] = memToken{token, expiresAt}
	return nil
}

func (s *memStore) DeleteToken(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, key)
	return nil
}

func (s *memStore) get(key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens[key].token
}

// fakeDingTalk serves E5 (app token) and E8/E7 (topapi) with scripted
// replies and counts the calls.
type fakeDingTalk struct {
	*httptest.Server
	tokenCalls atomic.Int32
	apiCalls   atomic.Int32
	// tokenReply(n) and apiReply(n, token) give status and body for the
	// n-th call (1-based).
	tokenReply func(n int32) (int, string)
	apiReply   func(n int32, token string) (int, string)
}

func newFake(t *testing.T) *fakeDingTalk {
	f := &fakeDingTalk{
		tokenReply: func(n int32) (int, string) {
			return 200, fmt.Sprintf(`{"accessToken":"tok-%d","expireIn":7200}`, n)
		},
		apiReply: func(int32, string) (int, string) {
			return 200, `{"errcode":0,"errmsg":"ok","result":{"userid":"zhangsan","name":"张三"}}`
		},
	}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		var status int
		var body string
		switch r.URL.Path {
		case "/v1.0/oauth2/accessToken":
			status, body = f.tokenReply(f.tokenCalls.Add(1))
		case "/topapi/v2/user/get", "/topapi/v2/user/getuserinfo":
			status, body = f.apiReply(f.apiCalls.Add(1), r.URL.Query().Get("access_token"))
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeDingTalk) client(store dingtalk.TokenStore, now func() time.Time) *dingtalk.Client {
	return dingtalk.NewClient(dingtalk.Config{
		Endpoints:  dingtalk.Endpoints{OAPI: f.URL, API: f.URL, Login: f.URL},
		TokenStore: store,
		Now:        now,
		Retry:      dingtalk.Retry{BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond, ThrottleDelay: time.Millisecond},
	})
}

func testApp(c *dingtalk.Client) *dingtalk.AppClient {
	return c.App(dingtalk.App{AppKey: appKey, AppSecret: appSecret})
}

func TestTokenConcurrentCallersShareOneFetch(t *testing.T) {
	f := newFake(t)
	a := testApp(f.client(nil, nil))
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		wg.Go(func() {
			tok, err := a.AccessToken(t.Context())
			if err == nil && tok != "tok-1" {
				err = fmt.Errorf("token %q, want tok-1", tok)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := f.tokenCalls.Load(); n != 1 {
		t.Errorf("token fetches = %d, want 1", n)
	}
}

func TestTokenSharedStoreAcrossClients(t *testing.T) {
	f := newFake(t)
	store := newMemStore()
	for i, c := range []*dingtalk.Client{f.client(store, nil), f.client(store, nil)} {
		if _, err := testApp(c).User(t.Context(), "zhangsan", ""); err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
	}
	if n := f.tokenCalls.Load(); n != 1 {
		t.Errorf("token fetches = %d, want 1", n)
	}
	if got := store.get("dingtalk:app:v1:" + appKey); got != "tok-1" {
		t.Errorf("stored token = %q, want tok-1", got)
	}
}

func TestTokenExpiryRefreshesOnce(t *testing.T) {
	f := newFake(t)
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	a := testApp(f.client(newMemStore(), clock))

	if tok, _ := a.AccessToken(t.Context()); tok != "tok-1" {
		t.Fatalf("first token %q", tok)
	}
	advance(7200*time.Second - 5*time.Minute - time.Second) // just inside the margin
	if tok, _ := a.AccessToken(t.Context()); tok != "tok-1" || f.tokenCalls.Load() != 1 {
		t.Fatalf("before margin: token %q after %d fetches, want tok-1 after 1", tok, f.tokenCalls.Load())
	}
	advance(2 * time.Second)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if tok, err := a.AccessToken(t.Context()); err != nil || tok != "tok-2" {
				t.Errorf("after expiry: %q, %v; want tok-2", tok, err)
			}
		})
	}
	wg.Wait()
	if n := f.tokenCalls.Load(); n != 2 {
		t.Errorf("token fetches = %d, want 2 (exactly one refresh)", n)
	}
}

func TestTokenInvalidDropsRefetchesRetriesOnce(t *testing.T) {
	f := newFake(t)
	f.apiReply = func(_ int32, token string) (int, string) {
		if token == "tok-1" {
			return 200, `{"errcode":88,"errmsg":"ding talk error","sub_code":"40014","sub_msg":"不合法的access_token"}`
		}
		return 200, `{"errcode":0,"errmsg":"ok","result":{"userid":"zhangsan"}}`
	}
	store := newMemStore()
	u, err := testApp(f.client(store, nil)).User(t.Context(), "zhangsan", "")
	if err != nil {
		t.Fatal(err)
	}
	if u.UserID != "zhangsan" {
		t.Errorf("UserID = %q", u.UserID)
	}
	if tc, ac := f.tokenCalls.Load(), f.apiCalls.Load(); tc != 2 || ac != 2 {
		t.Errorf("token fetches, API calls = %d, %d; want 2, 2", tc, ac)
	}
	if got := store.get("dingtalk:app:v1:" + appKey); got != "tok-2" {
		t.Errorf("stored token = %q, want tok-2", got)
	}
}

func TestTokenInvalidRetriedOnlyOnce(t *testing.T) {
	f := newFake(t)
	f.apiReply = func(int32, string) (int, string) {
		return 200, `{"errcode":40014,"errmsg":"不合法的access_token"}`
	}
	_, err := testApp(f.client(nil, nil)).User(t.Context(), "zhangsan", "")
	if !errors.Is(err, dingtalk.KindTokenInvalid) {
		t.Fatalf("err = %v, want KindTokenInvalid", err)
	}
	if tc, ac := f.tokenCalls.Load(), f.apiCalls.Load(); tc != 2 || ac != 2 {
		t.Errorf("token fetches, API calls = %d, %d; want 2, 2", tc, ac)
	}
}

func TestOneTimeCodeRepeatedOnceOnTokenInvalid(t *testing.T) {
	// DingTalk's gateway rejects the access token before it reads the code,
	// so the code is unused and the call may be repeated with a new token.
	f := newFake(t)
	f.apiReply = func(_ int32, token string) (int, string) {
		if token == "tok-1" {
			return 200, `{"errcode":88,"errmsg":"ding talk error","sub_code":"40014","sub_msg":"不合法的access_token"}`
		}
		return 200, `{"errcode":0,"errmsg":"ok","result":{"userid":"zhangsan","unionid":"u1"}}`
	}
	a := testApp(f.client(nil, nil))
	info, err := a.UserInfoByCode(t.Context(), userCode)
	if err != nil {
		t.Fatal(err)
	}
	if info.UserID != "zhangsan" {
		t.Errorf("UserID = %q, want zhangsan", info.UserID)
	}
	if tc, ac := f.tokenCalls.Load(), f.apiCalls.Load(); tc != 2 || ac != 2 {
		t.Errorf("token fetches, E7 calls = %d, %d; want 2, 2", tc, ac)
	}
}

func TestOneTimeCodeTokenInvalidTwiceIsFinal(t *testing.T) {
	f := newFake(t)
	f.apiReply = func(int32, string) (int, string) {
		return 200, `{"errcode":88,"errmsg":"ding talk error","sub_code":"40014","sub_msg":"不合法的access_token"}`
	}
	_, err := testApp(f.client(nil, nil)).UserInfoByCode(t.Context(), userCode)
	if !errors.Is(err, dingtalk.KindTokenInvalid) {
		t.Fatalf("err = %v, want KindTokenInvalid", err)
	}
	if n := f.apiCalls.Load(); n != 2 {
		t.Errorf("E7 calls = %d, want 2", n)
	}
}

func TestTokenFetchRetriesTransient(t *testing.T) {
	f := newFake(t)
	f.tokenReply = func(n int32) (int, string) {
		switch n {
		case 1:
			return 503, `{"code":"operationTimeout","message":"timeout","requestid":"r1"}`
		case 2:
			return 200, `{"errcode":-1,"errmsg":"系统繁忙"}`
		}
		return 200, `{"accessToken":"tok-ok","expireIn":7200}`
	}
	tok, err := testApp(f.client(nil, nil)).AccessToken(t.Context())
	if err != nil || tok != "tok-ok" {
		t.Fatalf("AccessToken = %q, %v", tok, err)
	}
	if n := f.tokenCalls.Load(); n != 3 {
		t.Errorf("token fetches = %d, want 3", n)
	}
}

func TestTokenFetchRetriesBounded(t *testing.T) {
	f := newFake(t)
	f.tokenReply = func(int32) (int, string) { return 500, `{"code":"unknownError","message":"x"}` }
	_, err := testApp(f.client(nil, nil)).AccessToken(t.Context())
	if !errors.Is(err, dingtalk.KindTransient) {
		t.Fatalf("err = %v, want KindTransient", err)
	}
	if n := f.tokenCalls.Load(); n != 3 {
		t.Errorf("token fetches = %d, want 3", n)
	}
}

func TestTokenFetchNotRetriedOnBadCredentials(t *testing.T) {
	f := newFake(t)
	f.tokenReply = func(int32) (int, string) {
		return 400, `{"code":"invalidClientIdOrSecret","message":"无效的clientId或者clientSecret","requestid":"r"}`
	}
	_, err := testApp(f.client(nil, nil)).AccessToken(t.Context())
	if !errors.Is(err, dingtalk.KindBadCredentials) {
		t.Fatalf("err = %v, want KindBadCredentials", err)
	}
	if n := f.tokenCalls.Load(); n != 1 {
		t.Errorf("token fetches = %d, want 1", n)
	}
}

func TestCodeCallNotRetriedOn5xx(t *testing.T) {
	f := newFake(t)
	f.apiReply = func(int32, string) (int, string) { return 502, `<html>502 Bad Gateway</html>` }
	_, err := testApp(f.client(nil, nil)).UserInfoByCode(t.Context(), userCode)
	if !errors.Is(err, dingtalk.KindTransient) {
		t.Fatalf("err = %v, want KindTransient", err)
	}
	if n := f.apiCalls.Load(); n != 1 {
		t.Errorf("E7 calls = %d, want 1", n)
	}
}

func TestLookupRetriedOn5xx(t *testing.T) {
	f := newFake(t)
	f.apiReply = func(n int32, _ string) (int, string) {
		if n == 1 {
			return 500, `{"errcode":-1,"errmsg":"系统繁忙"}`
		}
		return 200, `{"errcode":0,"errmsg":"ok","result":{"userid":"zhangsan"}}`
	}
	if _, err := testApp(f.client(nil, nil)).User(t.Context(), "zhangsan", ""); err != nil {
		t.Fatal(err)
	}
	if n := f.apiCalls.Load(); n != 2 {
		t.Errorf("E8 calls = %d, want 2", n)
	}
}

// scriptedTransport fails every request with err and counts them.
type scriptedTransport struct {
	calls atomic.Int32
	err   error
}

func (s *scriptedTransport) RoundTrip(*http.Request) (*http.Response, error) {
	s.calls.Add(1)
	return nil, s.err
}

func TestCodeCallRetriesOnlyBeforeSending(t *testing.T) {
	dialErr := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	for _, tc := range []struct {
		name string
		err  error
		want int32
	}{
		{"connect refused", dialErr, 3},
		{"reset after send", &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}, 1},
		{"unexpected EOF", io.ErrUnexpectedEOF, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := &scriptedTransport{err: tc.err}
			c := dingtalk.NewClient(dingtalk.Config{
				HTTPClient: &http.Client{Transport: rt},
				Endpoints:  dingtalk.Endpoints{OAPI: "http://oapi.invalid", API: "http://api.invalid"},
				Retry:      dingtalk.Retry{BaseDelay: time.Millisecond, MaxDelay: time.Millisecond},
			})
			_, err := testApp(c).ExchangeCode(t.Context(), userCode)
			var te *dingtalk.TransportError
			if !errors.As(err, &te) || !errors.Is(err, dingtalk.KindTransient) {
				t.Fatalf("err = %v (%T), want *TransportError", err, err)
			}
			if n := rt.calls.Load(); n != tc.want {
				t.Errorf("attempts = %d, want %d", n, tc.want)
			}
		})
	}
}

func TestTransportErrorHidesQuery(t *testing.T) {
	rt := &scriptedTransport{err: errors.New("boom")}
	c := dingtalk.NewClient(dingtalk.Config{
		HTTPClient: &http.Client{Transport: rt},
		Endpoints:  dingtalk.Endpoints{OAPI: "http://oapi.invalid"},
		Retry:      dingtalk.Retry{Attempts: 1},
	})
	_, err := c.App(dingtalk.App{AppKey: appKey, AppSecret: appSecret, TokenMethod: dingtalk.TokenLegacy}).AccessToken(t.Context())
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if want := "dingtalk: GET /gettoken: boom"; msg != want {
		t.Errorf("Error() = %q, want %q", msg, want)
	}
}

func TestTimeoutIsPerCallDeadline(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	c := dingtalk.NewClient(dingtalk.Config{
		Endpoints: dingtalk.Endpoints{API: srv.URL},
		Timeout:   20 * time.Millisecond,
		Retry:     dingtalk.Retry{Attempts: 1},
	})
	_, err := c.CurrentUser(t.Context(), "usr-tok")
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, dingtalk.KindTransient) {
		t.Fatalf("err = %v, want deadline exceeded, KindTransient", err)
	}
}
