package provider

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/storage"
	"github.com/dingbridge/dingbridge/storage/postgres/postgrestest"
	"github.com/dingbridge/dingbridge/storage/sqlite"
)

// rpHost is where test clients' redirect URIs point; the test browser
// stops there instead of following.
const rpHost = "rp.example"

type backend struct {
	name string
	open func(t *testing.T) storage.Storage
}

func backends() []backend {
	return []backend{
		{"sqlite", newSQLite},
		{"postgres", func(t *testing.T) storage.Storage { return postgrestest.New(t) }},
	}
}

func newSQLite(t *testing.T) storage.Storage {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db.sqlite"), sqlite.Options{})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate sqlite: %v", err)
	}
	return s
}

// clock is a settable clock; zero offset is real time.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// countingStore counts the write transactions a flow commits, and
// separately the reads of authorization requests, tokens, users,
// bindings and sessions.
type countingStore struct {
	storage.Storage
	mu     sync.Mutex
	writes []string
	reads  []string
	// beforeRedeem, when set, runs before each RedeemAuthCode; an error
	// it returns is RedeemAuthCode's, and the code is left as it is.
	beforeRedeem atomic.Pointer[func(ctx context.Context, codeHash []byte, now time.Time, issue storage.TokenIssue) error]
}

func (s *countingStore) noteRead(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads = append(s.reads, name)
}

// resetReads returns the reads noted since the last call and forgets them.
func (s *countingStore) resetReads() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.reads
	s.reads = nil
	return r
}

func (s *countingStore) GetAccessToken(ctx context.Context, id string, now time.Time) (storage.AccessToken, error) {
	s.noteRead("GetAccessToken")
	return s.Storage.GetAccessToken(ctx, id, now)
}

func (s *countingStore) GetAccessTokenUser(ctx context.Context, id string, now time.Time) (storage.AccessTokenUser, error) {
	s.noteRead("GetAccessTokenUser")
	return s.Storage.GetAccessTokenUser(ctx, id, now)
}

func (s *countingStore) GetUser(ctx context.Context, subject string) (storage.User, error) {
	s.noteRead("GetUser")
	return s.Storage.GetUser(ctx, subject)
}

func (s *countingStore) ListBindings(ctx context.Context, subject string) ([]storage.Binding, error) {
	s.noteRead("ListBindings")
	return s.Storage.ListBindings(ctx, subject)
}

func (s *countingStore) GetSession(ctx context.Context, id string, now time.Time) (storage.Session, error) {
	s.noteRead("GetSession")
	return s.Storage.GetSession(ctx, id, now)
}

func (s *countingStore) note(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = append(s.writes, name)
}

func (s *countingStore) reset() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.writes
	s.writes = nil
	return w
}

func (s *countingStore) CreateAuthRequest(ctx context.Context, r storage.AuthRequest) error {
	s.note("CreateAuthRequest")
	return s.Storage.CreateAuthRequest(ctx, r)
}

func (s *countingStore) CompleteLogin(ctx context.Context, c storage.LoginCompletion) (storage.User, storage.AuthRequest, error) {
	s.note("CompleteLogin")
	return s.Storage.CompleteLogin(ctx, c)
}

func (s *countingStore) GetAuthRequestByCode(ctx context.Context, h []byte, now time.Time) (storage.AuthRequest, error) {
	s.noteRead("GetAuthRequestByCode")
	return s.Storage.GetAuthRequestByCode(ctx, h, now)
}

func (s *countingStore) GetAuthRequest(ctx context.Context, id string) (storage.AuthRequest, error) {
	s.noteRead("GetAuthRequest")
	return s.Storage.GetAuthRequest(ctx, id)
}

func (s *countingStore) SaveAuthCode(ctx context.Context, id string, h []byte, exp time.Time) error {
	s.note("SaveAuthCode")
	return s.Storage.SaveAuthCode(ctx, id, h, exp)
}

func (s *countingStore) RedeemAuthCode(ctx context.Context, h []byte, now time.Time, issue storage.TokenIssue) error {
	s.note("RedeemAuthCode")
	if f := s.beforeRedeem.Load(); f != nil {
		if err := (*f)(ctx, h, now, issue); err != nil {
			return err
		}
	}
	return s.Storage.RedeemAuthCode(ctx, h, now, issue)
}

func (s *countingStore) DeleteAuthRequest(ctx context.Context, id string) error {
	s.note("DeleteAuthRequest")
	return s.Storage.DeleteAuthRequest(ctx, id)
}

func (s *countingStore) CreateTokens(ctx context.Context, issue storage.TokenIssue) error {
	s.note("CreateTokens")
	return s.Storage.CreateTokens(ctx, issue)
}

func (s *countingStore) CreateSigningKey(ctx context.Context, k storage.SigningKey) error {
	s.note("CreateSigningKey")
	return s.Storage.CreateSigningKey(ctx, k)
}

func (s *countingStore) UpsertClient(ctx context.Context, c storage.Client) error {
	s.note("UpsertClient")
	return s.Storage.UpsertClient(ctx, c)
}

// stubAuth logs in a fixed DingTalk identity.
type stubAuth struct {
	p        atomic.Pointer[Provider]
	calls    atomic.Int32
	identity storage.Identity
	last     atomic.Pointer[LoginRequest]
}

func (a *stubAuth) ServeLogin(w http.ResponseWriter, r *http.Request, req LoginRequest) {
	a.calls.Add(1)
	a.last.Store(&req)
	id := a.identity
	a.p.Load().FinishLogin(w, r, Finish{AuthRequestID: req.AuthRequestID, Identity: &id, AMR: []string{"qr"}, CorpID: id.CorpID})
}

// env is one provider behind an httptest server with a path issuer.
type env struct {
	t      *testing.T
	store  *countingStore
	p      *Provider
	srv    *httptest.Server
	issuer string
	clock  *clock
	auth   *stubAuth
	cfg    Config
}

var testKeys = struct{ kek, hash, block []byte }{
	kek:   bytes.Repeat([]byte{1}, 32),
	hash:  bytes.Repeat([]byte{2}, 32),
	block: bytes.Repeat([]byte{3}, 32),
}

func newEnv(t *testing.T, s storage.Storage, edit ...func(*Config)) *env {
	t.Helper()
	e := &env{t: t, store: &countingStore{Storage: s}, clock: &clock{}, auth: &stubAuth{}}
	e.auth.identity = storage.Identity{
		CorpID: "ding-corp-1", UserID: "user-1", UnionID: "union-1",
		Profile: storage.Profile{Name: "Ada", Nick: "ada", OrgEmail: "ada@corp.example", Active: true},
	}
	var h atomic.Pointer[http.Handler]
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*h.Load()).ServeHTTP(w, r) }))
	t.Cleanup(e.srv.Close)
	e.issuer = e.srv.URL + "/dingbridge"
	e.cfg = Config{
		Issuer:           e.issuer,
		Storage:          e.store,
		Logger:           slog.New(slog.NewTextHandler(io.Discard, nil)),
		KeyEncryptionKey: testKeys.kek,
		CookieHashKey:    testKeys.hash,
		CookieBlockKey:   testKeys.block,
		Insecure:         true,
		Authenticator:    e.auth,
		Now:              e.clock.Now,
	}
	for _, f := range edit {
		f(&e.cfg)
	}
	p, err := New(t.Context(), e.cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e.p = p
	e.auth.p.Store(p)
	handler := p.Handler()
	h.Store(&handler)
	return e
}

// testClient is a registered client and its secret.
type testClient struct {
	storage.Client
	secret string
}

func (e *env) addClient(id string, edit func(*storage.Client)) testClient {
	e.t.Helper()
	c := storage.Client{
		ID:                     id,
		Name:                   "Client " + id,
		ApplicationType:        "web",
		RedirectURIs:           []string{"https://" + rpHost + "/cb/" + id},
		PostLogoutRedirectURIs: []string{"https://" + rpHost + "/logout/" + id},
		GrantTypes:             []string{grantAuthorizationCode, grantRefreshToken},
	}
	secret, hash, err := GenerateClientSecret()
	if err != nil {
		e.t.Fatal(err)
	}
	c.SecretHash = hash
	if edit != nil {
		edit(&c)
	}
	if c.Public {
		c.SecretHash, secret = nil, ""
	}
	if err := ValidateClient(c); err != nil {
		e.t.Fatalf("ValidateClient(%s): %v", id, err)
	}
	if err := e.store.CreateClient(e.t.Context(), c); err != nil {
		e.t.Fatalf("CreateClient: %v", err)
	}
	return testClient{Client: c, secret: secret}
}

// browser is an http.Client with a cookie jar that follows redirects
// inside the provider and stops at the relying party.
func newBrowser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{
		Jar: jar,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Host == rpHost {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
}

// visit GETs u in the browser and returns the response it stopped at.
func visit(t *testing.T, b *http.Client, u string) *http.Response {
	t.Helper()
	resp, err := b.Get(u)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// rpRedirect returns the query (or form) the provider sent to the RP.
func rpRedirect(t *testing.T, resp *http.Response) url.Values {
	t.Helper()
	if resp.StatusCode != http.StatusFound {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("status = %d, want 302 to the RP; body:\n%s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Host != rpHost {
		t.Fatalf("Location = %q, want the RP", resp.Header.Get("Location"))
	}
	return loc.Query()
}

func pkce() (verifier, challenge string) {
	verifier = randomString(32)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorizeURL builds an authorization request URL.
func (e *env) authorizeURL(c testClient, extra url.Values) string {
	q := url.Values{
		"client_id":     {c.ID},
		"redirect_uri":  {c.RedirectURIs[0]},
		"response_type": {"code"},
		"scope":         {"openid profile email offline_access"},
		"state":         {"st-" + randomString(6)},
	}
	for k, v := range extra {
		q[k] = v
	}
	return e.issuer + "/authorize?" + q.Encode()
}

// postToken posts a form to the token endpoint (or another endpoint),
// with basic auth when secret is set and basic is true.
func (e *env) post(t *testing.T, path string, c testClient, basic bool, form url.Values) (int, map[string]any) {
	t.Helper()
	if basic && c.secret != "" {
		// Basic credentials are form-urlencoded first (RFC 6749 2.3.1).
	} else {
		form.Set("client_id", c.ID)
		if c.secret != "" {
			form.Set("client_secret", c.secret)
		}
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.issuer+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic && c.secret != "" {
		req.SetBasicAuth(url.QueryEscape(c.ID), url.QueryEscape(c.secret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(bytes.TrimSpace(body)) > 0 && string(bytes.TrimSpace(body)) != "null" {
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("POST %s: status %d, body not JSON: %s", path, resp.StatusCode, body)
		}
	}
	return resp.StatusCode, out
}

// login runs authorize → login in browser b and returns the code and the
// RP-bound parameters.
func (e *env) login(t *testing.T, b *http.Client, c testClient, extra url.Values) url.Values {
	t.Helper()
	return rpRedirect(t, visit(t, b, e.authorizeURL(c, extra)))
}
