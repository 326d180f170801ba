package dingtalk

import (
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
)

// Production base URLs, the defaults of Endpoints.
const (
	DefaultOAPIURL  = "https://oapi.dingtalk.com"
	DefaultAPIURL   = "https://api.dingtalk.com"
	DefaultLoginURL = "https://login.dingtalk.com"
)

// Endpoints are the base URLs (scheme and host, optionally a path prefix,
// no trailing slash needed) of DingTalk's three hosts. Empty fields take the
// production defaults. Tests point all three at one fake server.
type Endpoints struct {
	// OAPI serves /gettoken, /topapi/*, /sns/*, /sso/*, /service/* and the
	// legacy /connect/* browser pages. Default https://oapi.dingtalk.com.
	OAPI string
	// API serves the /v1.0/* endpoints. Default https://api.dingtalk.com.
	API string
	// Login serves the /oauth2/auth browser page. Default
	// https://login.dingtalk.com.
	Login string
}

// Retry bounds the retries of idempotent calls (token fetches, lookups) on
// KindTransient and KindThrottled failures. Zero fields take the defaults.
type Retry struct {
	// Attempts is the total number of tries, first included. Default 3.
	Attempts int
	// BaseDelay is the first back-off; it doubles per retry, with jitter.
	// Default 250 ms.
	BaseDelay time.Duration
	// MaxDelay caps one back-off. Default 4 s.
	MaxDelay time.Duration
	// ThrottleDelay is the minimum wait after a KindThrottled reply.
	// Default 1 s.
	ThrottleDelay time.Duration
}

// Config configures a Client. The zero value talks to production DingTalk.
type Config struct {
	// Endpoints are the base URLs; empty fields take the defaults.
	Endpoints Endpoints
	// HTTPClient sends the requests. Default: a dedicated client with
	// connect/TLS/header timeouts, keep-alive pooling and HTTP/2.
	HTTPClient *http.Client
	// Timeout bounds each HTTP attempt (a context deadline). Default 5 s.
	Timeout time.Duration
	// Retry bounds retries; zero fields take the defaults.
	Retry Retry
	// TokenStore, if set, shares app, corp, suite and SSO tokens between
	// Clients and replicas. Tokens are always cached in-process too.
	TokenStore TokenStore
	// TokenMargin is how long before DingTalk's expiry a cached token is
	// replaced. Default 5 min (at most a quarter of the token's lifetime).
	TokenMargin time.Duration
	// Logger receives debug lines for token fetches and warnings for
	// retries. Default: discard.
	Logger *slog.Logger
	// Now is the clock, for signatures and token expiry. Default time.Now.
	Now func() time.Time
}

// Client talks to DingTalk's server APIs. It is safe for concurrent use;
// create one per process and derive per-app handles with App, Suite and
// SSO. Credentials live in the handles, so one Client serves many internal
// apps and ISV suites at once.
type Client struct {
	ep      Endpoints
	http    *http.Client
	timeout time.Duration
	retry   Retry
	margin  time.Duration
	log     *slog.Logger
	now     func() time.Time
	tokens  *tokenCache
}

// NewClient returns a Client for cfg, filling in defaults.
func NewClient(cfg Config) *Client {
	c := &Client{
		ep: Endpoints{
			OAPI:  baseURL(cfg.Endpoints.OAPI, DefaultOAPIURL),
			API:   baseURL(cfg.Endpoints.API, DefaultAPIURL),
			Login: baseURL(cfg.Endpoints.Login, DefaultLoginURL),
		},
		http:    cfg.HTTPClient,
		timeout: cfg.Timeout,
		retry:   cfg.Retry,
		margin:  cfg.TokenMargin,
		log:     cfg.Logger,
		now:     cfg.Now,
	}
	if c.http == nil {
		c.http = defaultHTTPClient()
	}
	if c.timeout <= 0 {
		c.timeout = 5 * time.Second
	}
	if c.retry.Attempts <= 0 {
		c.retry.Attempts = 3
	}
	if c.retry.BaseDelay <= 0 {
		c.retry.BaseDelay = 250 * time.Millisecond
	}
	if c.retry.MaxDelay <= 0 {
		c.retry.MaxDelay = 4 * time.Second
	}
	if c.retry.ThrottleDelay <= 0 {
		c.retry.ThrottleDelay = time.Second
	}
	if c.margin <= 0 {
		c.margin = 5 * time.Minute
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.tokens = &tokenCache{store: cfg.TokenStore, tokens: make(map[string]cachedToken)}
	return c
}

// Endpoints returns the base URLs in use, defaults filled in.
func (c *Client) Endpoints() Endpoints { return c.ep }

func baseURL(v, def string) string {
	if v == "" {
		v = def
	}
	return strings.TrimRight(v, "/")
}

func defaultHTTPClient() *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           dialer.DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          100,
			MaxIdleConnsPerHost:   32,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: 10 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
		// Backstop only: each attempt carries its own context deadline.
		Timeout: 30 * time.Second,
	}
}
