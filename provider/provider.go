package provider

import (
	"context"
	"crypto/hkdf"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/dingbridge/dingbridge/storage"
)

// Config configures a Provider. Zero durations take the defaults noted.
type Config struct {
	// Issuer is the exact issuer URL; it may contain a path, under which
	// every endpoint is mounted. No trailing slash.
	Issuer  string
	Storage storage.Storage
	Logger  *slog.Logger
	// KeyEncryptionKey (32 bytes) encrypts private signing keys at rest
	// (AES-256-GCM); the key that protects opaque access tokens is
	// derived from it with HKDF.
	KeyEncryptionKey []byte
	// CookieHashKey (32 or 64 bytes) authenticates the session cookie.
	CookieHashKey []byte
	// CookieBlockKey (32 bytes) encrypts the session cookie.
	CookieBlockKey []byte
	// SigningAlgorithm is "RS256" (default) or "ES256".
	SigningAlgorithm string
	// KeyRotationPeriod is how long a signing key signs; default 720h.
	KeyRotationPeriod time.Duration
	// RSASigner, when set, signs with RSA keys instead of crypto/rsa
	// (KeyConfig.RSASigner).
	RSASigner func(*rsa.PrivateKey) (jose.OpaqueSigner, error)
	// FirstKey, when set, is a key generated ahead for the first signing
	// key, when storage has none yet (KeyConfig.FirstKey).
	FirstKey *KeyGeneration
	// Defaults: access token 1h, ID token 1h, refresh token 720h, auth
	// request 30m, code 60s, browser session 12h. A client's own token
	// lifetimes are capped at the longest of AccessTokenTTL and
	// IDTokenTTL, the window key rotation keeps verifiable.
	AccessTokenTTL  time.Duration
	IDTokenTTL      time.Duration
	RefreshTokenTTL time.Duration
	AuthRequestTTL  time.Duration
	CodeTTL         time.Duration
	SessionTTL      time.Duration
	// Insecure allows an http issuer and cookies without Secure. Dev only.
	Insecure bool
	// Authenticator performs the login step; nil makes /login show "no
	// login method configured". It may also be set after New with
	// Provider.SetAuthenticator.
	Authenticator Authenticator
	// CodeExchanger resolves DingTalk codes posted to the token endpoint
	// as RFC 8693 token exchanges (mini programs); nil disables that
	// grant. It may also be set after New with
	// Provider.SetCodeExchanger.
	CodeExchanger CodeExchanger
	// Now is the clock; default time.Now.
	Now func() time.Time

	// Back-channel logout (OpenID Connect Back-Channel Logout 1.0): when
	// a session ends, Provider.Run's workers POST a logout token to every
	// client that was issued tokens in it and registered a
	// BackchannelLogoutURI. BackchannelQueueSize bounds the deliveries
	// waiting (default 1024; a full queue drops and logs);
	// BackchannelWorkers deliver in parallel (default 4); each delivery
	// makes at most BackchannelAttempts attempts (default 5), each
	// bounded by BackchannelTimeout (default 5s), waiting
	// BackchannelBackoff (default 1s) before the first retry and twice as
	// long before each next one (at most a minute). LogoutTokenTTL is
	// the logout token's lifetime (default 2m). BackchannelHTTPClient
	// posts the tokens (default: an http.Client that does not follow
	// redirects).
	BackchannelQueueSize  int
	BackchannelWorkers    int
	BackchannelAttempts   int
	BackchannelTimeout    time.Duration
	BackchannelBackoff    time.Duration
	LogoutTokenTTL        time.Duration
	BackchannelHTTPClient *http.Client
}

// Provider is the OpenID Connect provider: zitadel/oidc's op over
// storage.Storage, with dingbridge's login, session and logout handling.
type Provider struct {
	cfg        Config
	issuer     string
	issuerPath string // "" or "/path", the prefix every route is under
	store      storage.Storage
	// codes holds the requests of the codes this process issued until
	// they are presented (issuedcodes.go).
	codes   issuedCodes
	log     *slog.Logger
	now     func() time.Time
	keys    *KeyManager
	cookies *CookieCodec
	// requests seals pending authorization requests into their handles
	// (authreqs.go).
	requests *CookieCodec
	op       op.OpenIDProvider
	// opStore is the op.Storage op was given; the token grants and
	// userinfo call it directly too.
	opStore *opStorage
	server  *server
	// tokenLifetimeCap bounds every signed token's lifetime to what key
	// rotation keeps verifiable.
	tokenLifetimeCap time.Duration
	handler          http.Handler
	// backchannel queues logout tokens for Run to deliver.
	backchannel backchannel
	// auth holds the Authenticator; it is swapped atomically so that
	// SetAuthenticator may run after New.
	auth atomic.Pointer[authBox]
	// exchanger holds the CodeExchanger, swapped like auth.
	exchanger atomic.Pointer[exchangerBox]
	// inflight counts the HTTP requests being served (withRequestID).
	inflight atomic.Int64
}

// exchangerBox wraps a CodeExchanger for an atomic pointer.
type exchangerBox struct{ x CodeExchanger }

// authBox wraps an Authenticator so that implementations of different
// types can share one atomic pointer.
type authBox struct{ a Authenticator }

// New validates cfg, makes sure a signing key exists, and builds the
// provider. It starts no goroutines; call Run for background upkeep.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	u, _ := url.Parse(cfg.Issuer) // validated by defaults
	p := &Provider{
		cfg:              cfg,
		issuer:           cfg.Issuer,
		issuerPath:       u.EscapedPath(),
		store:            newClientCache(cfg.Storage, clientCacheTTL, cfg.Now),
		log:              cfg.Logger,
		now:              cfg.Now,
		tokenLifetimeCap: max(cfg.AccessTokenTTL, cfg.IDTokenTTL),
		backchannel:      backchannel{queue: make(chan logoutDelivery, cfg.BackchannelQueueSize)},
	}
	p.auth.Store(&authBox{a: cfg.Authenticator})
	p.exchanger.Store(&exchangerBox{x: cfg.CodeExchanger})
	keys, err := NewKeyManager(KeyConfig{
		Storage:        cfg.Storage,
		EncryptionKey:  cfg.KeyEncryptionKey,
		Algorithm:      cfg.SigningAlgorithm,
		RotationPeriod: cfg.KeyRotationPeriod,
		TokenLifetime:  p.tokenLifetimeCap,
		RSASigner:      cfg.RSASigner,
		FirstKey:       cfg.FirstKey,
		Logger:         cfg.Logger,
		Now:            cfg.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("provider: %w", err)
	}
	p.keys = keys
	if err := keys.maintain(ctx); err != nil {
		return nil, fmt.Errorf("provider: signing keys: %w", err)
	}
	// Load the key that signs now, so that one that cannot be decrypted
	// or handed to RSASigner fails the start, not the first token request.
	if _, err := keys.SigningKey(ctx); err != nil {
		return nil, fmt.Errorf("provider: signing keys: %w", err)
	}
	p.cookies = NewCookieCodec(cfg.CookieHashKey, cfg.CookieBlockKey, int(cfg.SessionTTL.Seconds()))
	p.requests = newRequestCodec(cfg.CookieHashKey, cfg.CookieBlockKey, cfg.AuthRequestTTL)

	cryptoKey, err := hkdf.Key(sha256.New, cfg.KeyEncryptionKey, nil, "dingbridge access token key", 32)
	if err != nil {
		return nil, fmt.Errorf("provider: derive token key: %w", err)
	}
	opConfig := &op.Config{
		DefaultLogoutRedirectURI: p.issuer + loggedOutPath,
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		GrantTypeRefreshToken:    true,
		SupportedUILocales:       []language.Tag{language.SimplifiedChinese, language.English},
		SupportedClaims:          supportedClaims,
		SupportedScopes:          supportedScopes,
	}
	opts := []op.Option{
		op.WithIDTokenHintKeySet(keys), op.WithAccessTokenKeySet(keys),
		op.WithCrypto(newTokenSealer([32]byte(cryptoKey))),
	}
	if cfg.Insecure {
		opts = append(opts, op.WithAllowInsecure())
	}
	p.opStore = &opStorage{p: p}
	p.op, err = op.NewProvider(opConfig, p.opStore, op.StaticIssuer(p.issuer), opts...)
	if err != nil {
		return nil, fmt.Errorf("provider: %w", err)
	}
	p.server = &server{LegacyServer: op.NewLegacyServer(p.op, endpoints), p: p}
	p.handler = p.routes()
	return p, nil
}

func (cfg *Config) defaults() error {
	var errs []error
	u, err := url.Parse(cfg.Issuer)
	switch {
	case cfg.Issuer == "" || err != nil || u.Host == "" || !u.IsAbs():
		errs = append(errs, fmt.Errorf("issuer %q: must be an absolute URL", cfg.Issuer))
	case u.Scheme != "https" && !(cfg.Insecure && u.Scheme == "http"):
		errs = append(errs, fmt.Errorf("issuer %q: must use https", cfg.Issuer))
	case u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(cfg.Issuer, "/"):
		errs = append(errs, fmt.Errorf("issuer %q: must have no query, fragment or trailing slash", cfg.Issuer))
	}
	if cfg.Storage == nil {
		errs = append(errs, errors.New("storage is required"))
	}
	if len(cfg.KeyEncryptionKey) != 32 {
		errs = append(errs, errors.New("key encryption key must be 32 bytes"))
	}
	if n := len(cfg.CookieHashKey); n != 32 && n != 64 {
		errs = append(errs, errors.New("cookie hash key must be 32 or 64 bytes"))
	}
	if len(cfg.CookieBlockKey) != 32 {
		errs = append(errs, errors.New("cookie block key must be 32 bytes"))
	}
	def := func(d *time.Duration, v time.Duration, name string) {
		switch {
		case *d == 0:
			*d = v
		case *d < 0:
			errs = append(errs, fmt.Errorf("%s must not be negative", name))
		}
	}
	def(&cfg.KeyRotationPeriod, 720*time.Hour, "key rotation period")
	def(&cfg.AccessTokenTTL, time.Hour, "access token ttl")
	def(&cfg.IDTokenTTL, time.Hour, "id token ttl")
	def(&cfg.RefreshTokenTTL, 720*time.Hour, "refresh token ttl")
	def(&cfg.AuthRequestTTL, 30*time.Minute, "auth request ttl")
	def(&cfg.CodeTTL, time.Minute, "code ttl")
	def(&cfg.SessionTTL, 12*time.Hour, "session ttl")
	errs = append(errs, cfg.backchannelDefaults()...)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("provider: invalid config: %w", err)
	}
	return nil
}

// Routes under the issuer.
const (
	authorizePath = "/authorize"
	callbackPath  = "/authorize/callback"
	loginPath     = "/login"
	loggedOutPath = "/logged-out"
	tokenPath     = "/oauth/token"
	// introspectPath and revokePath, like tokenPath, take only POST.
	introspectPath = "/oauth/introspect"
	revokePath     = "/oauth/revoke"
	userinfoPath   = "/userinfo"
)

// authenticatorPrefixes are the route prefixes served by the
// Authenticator when it is an http.Handler: its callbacks and form posts
// under /login/, and the DingTalk entry points under /dingtalk/.
var authenticatorPrefixes = []string{loginPath + "/", "/dingtalk/"}

// serveAuthenticator hands a request under authenticatorPrefixes to the
// Authenticator, or answers 404 when it serves no routes.
func (p *Provider) serveAuthenticator(w http.ResponseWriter, r *http.Request) {
	if h, ok := p.authenticator().(http.Handler); ok {
		h.ServeHTTP(w, r)
		return
	}
	http.NotFound(w, r)
}

// authenticator returns the current Authenticator, or nil.
func (p *Provider) authenticator() Authenticator { return p.auth.Load().a }

// SetAuthenticator sets the login step. It breaks the construction cycle
// (the Authenticator needs the Provider, the Provider needs the
// Authenticator) and must be called before the handler serves requests.
func (p *Provider) SetAuthenticator(a Authenticator) { p.auth.Store(&authBox{a: a}) }

// SetCodeExchanger sets the resolver of mini-program DingTalk codes (see
// Config.CodeExchanger); like SetAuthenticator it breaks the construction
// cycle and must be called before the handler serves requests.
func (p *Provider) SetCodeExchanger(x CodeExchanger) { p.exchanger.Store(&exchangerBox{x: x}) }

// codeExchanger returns the current CodeExchanger, or nil.
func (p *Provider) codeExchanger() CodeExchanger { return p.exchanger.Load().x }

// Issuer returns the issuer URL; every route is under it.
func (p *Provider) Issuer() string { return p.issuer }

// Client loads a registered client, for the login flows' checks and page
// titles; storage.ErrNotFound when it does not exist.
func (p *Provider) Client(ctx context.Context, id string) (storage.Client, error) {
	return p.store.GetClient(ctx, id)
}

var endpoints = op.Endpoints{
	Authorization: op.NewEndpoint("authorize"),
	Token:         op.NewEndpoint(strings.TrimPrefix(tokenPath, "/")),
	Introspection: op.NewEndpoint(strings.TrimPrefix(introspectPath, "/")),
	Userinfo:      op.NewEndpoint(strings.TrimPrefix(userinfoPath, "/")),
	Revocation:    op.NewEndpoint(strings.TrimPrefix(revokePath, "/")),
	EndSession:    op.NewEndpoint("end_session"),
	JwksURI:       op.NewEndpoint("keys"),
}

func (p *Provider) routes() http.Handler {
	opHandler := op.RegisterLegacyServer(p.server, p.authorizeCallback,
		op.WithServerCORSOptions(&corsOptions),
	)
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+authorizePath, p.authorize)
	mux.HandleFunc("POST "+authorizePath, p.authorize)
	// Other methods must not reach op's own authorize handler.
	mux.HandleFunc(authorizePath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
	})
	mux.HandleFunc("GET "+loginPath, p.login)
	mux.HandleFunc("GET "+loggedOutPath, p.loggedOut)
	for _, prefix := range authenticatorPrefixes {
		mux.HandleFunc(prefix, p.serveAuthenticator)
	}
	mux.Handle("POST "+tokenPath, withClientChallenge(p.tokenEndpoint(opHandler)))
	// op would also answer these by GET, with the client secret and the
	// code or token in the URL; only CORS preflight reaches op otherwise.
	for _, path := range []string{tokenPath, introspectPath, revokePath} {
		if path != tokenPath {
			mux.Handle("POST "+path, withClientChallenge(opHandler))
		}
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodOptions {
				opHandler.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Allow", "POST")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		})
	}
	mux.Handle(userinfoPath, withBearerChallenge(opHandler))
	mux.Handle("/", opHandler)

	var h http.Handler = mux
	if p.issuerPath != "" {
		outer := http.NewServeMux()
		outer.Handle(p.issuerPath+"/", http.StripPrefix(p.issuerPath, mux))
		h = outer
	}
	return p.withRequestID(h)
}

// Handler serves every endpoint under the issuer path: the OpenID Connect
// endpoints, /login and its Authenticator's routes, and /logged-out.
func (p *Provider) Handler() http.Handler { return p.handler }

// Ready reports whether the database is reachable and a signing key is
// loaded.
func (p *Provider) Ready(ctx context.Context) error {
	if err := p.store.Ping(ctx); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	if !p.keys.loaded() {
		return errors.New("no signing key loaded")
	}
	return nil
}

// Run does background upkeep until ctx is done: it checks key rotation
// (and reloads keys other replicas created) every minute, deletes
// expired rows every ten minutes, and delivers back-channel logout tokens.
// Logout tokens still queued or being retried when ctx ends are lost.
func (p *Provider) Run(ctx context.Context) {
	var bc sync.WaitGroup
	bc.Go(func() { p.runBackchannel(ctx) })
	defer bc.Wait()
	keyTick := time.NewTicker(time.Minute)
	defer keyTick.Stop()
	gcTick := time.NewTicker(10 * time.Minute)
	defer gcTick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-keyTick.C:
			if err := p.keys.maintain(ctx); err != nil {
				p.log.ErrorContext(ctx, "signing key maintenance", "err", err)
			}
		case <-gcTick.C:
			res, err := p.store.DeleteExpired(ctx, p.now())
			if err != nil {
				p.log.ErrorContext(ctx, "delete expired rows", "err", err)
				continue
			}
			p.log.InfoContext(ctx, "deleted expired rows",
				"auth_requests", res.AuthRequests, "access_tokens", res.AccessTokens,
				"refresh_tokens", res.RefreshTokens, "sessions", res.Sessions,
				"cache_entries", res.CacheEntries, "signing_keys", res.SigningKeys)
		}
	}
}

// Keys returns the provider's signing key manager.
func (p *Provider) Keys() *KeyManager { return p.keys }

func (p *Provider) loginURL(authRequestID string) string {
	return p.issuer + loginPath + "?authRequestID=" + url.QueryEscape(authRequestID)
}

// getClient loads a client as an op.Client.
func (p *Provider) getClient(ctx context.Context, id string) (*client, error) {
	c, err := p.store.GetClient(ctx, id)
	if err != nil {
		return nil, err
	}
	return &client{c: c, p: p}, nil
}
