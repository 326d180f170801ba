package login

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/dingbridge/dingbridge/dingtalk"
	"github.com/dingbridge/dingbridge/provider"
	"github.com/dingbridge/dingbridge/provider/resolve"
	"github.com/dingbridge/dingbridge/templates"
)

// DingTalk's official script URLs (reference §2), the defaults of
// Config.JSAPIScriptURL and Config.FrameLoginScriptURL.
const (
	DefaultJSAPIScriptURL      = "https://g.alicdn.com/dingding/dingtalk-jsapi/3.1.0/dingtalk.open.js"
	DefaultFrameLoginScriptURL = "https://g.alicdn.com/dingding/h5-dingtalk-login/0.21.0/ddlogin.js"
)

// DevClientCookie is the cookie that, with Config.Dev, makes a normal
// browser count as the DingTalk client ("dbdev_client=dingtalk").
const DevClientCookie = "dbdev_client"

// workspaceAncestors may embed the workspace pages (DingTalk's workbench
// on the web opens micro apps in a frame).
var workspaceAncestors = []string{"'self'", "https://*.dingtalk.com"}

// Routes under the issuer path.
const (
	callbackPath    = "/login/dingtalk/callback"
	snsCallbackPath = "/login/dingtalk/sns/callback"
	workspacePath   = "/login/dingtalk/workspace"
	jsapiErrorPath  = "/login/dingtalk/jsapi-error"
	corpPath        = "/login/dingtalk/corp"
	cancelPath      = "/login/cancel"
	assetsPath      = "/login/assets"
	adminPath       = "/dingtalk/admin/"
	startPath       = "/dingtalk/start/"
	loginConfigPath = "/dingtalk/login-config"
	suiteTicketPath = "/dingtalk/suite-ticket"
)

// Config configures the login step.
type Config struct {
	// Provider is the OIDC core the logins complete at.
	Provider *provider.Provider
	// Resolver turns DingTalk codes into identities and applies client
	// policies.
	Resolver *resolve.Resolver
	// DingTalk builds the browser URLs (login host, legacy pages).
	DingTalk *dingtalk.Client
	// CookieHashKey (32 or 64 bytes) authenticates and CookieBlockKey (32
	// bytes) encrypts the state cookies.
	CookieHashKey, CookieBlockKey []byte
	// Insecure sets cookies without Secure (http issuer; dev only).
	Insecure bool
	// JSAPIScriptURL and FrameLoginScriptURL are DingTalk's scripts;
	// defaults DefaultJSAPIScriptURL and DefaultFrameLoginScriptURL.
	JSAPIScriptURL, FrameLoginScriptURL string
	// SuiteTicketPushToken is the bearer token of POST
	// /dingtalk/suite-ticket; empty disables the endpoint (404).
	SuiteTicketPushToken string
	// Dev makes a cookie "dbdev_client=dingtalk" count as the DingTalk
	// client, so a person can try the workspace flow in a normal browser.
	// Never in production.
	Dev    bool
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Login is the DingTalk login step. It implements provider.Authenticator
// (the path choice at /login), provider.SilentAuthenticator (prompt=none
// inside DingTalk), provider.CodeExchanger (mini programs) and
// http.Handler for its callbacks under /login/ and the DingTalk entry
// points under /dingtalk/ (paths relative to the issuer).
type Login struct {
	cfg        Config
	p          *provider.Provider
	res        *resolve.Resolver
	dt         *dingtalk.Client
	cookies    *provider.CookieCodec
	issuer     string
	cookiePath string
	log        *slog.Logger
	now        func() time.Time
	mux        *http.ServeMux
}

var (
	_ provider.Authenticator       = (*Login)(nil)
	_ provider.SilentAuthenticator = (*Login)(nil)
	_ provider.CodeExchanger       = (*Login)(nil)
	_ http.Handler                 = (*Login)(nil)
)

// New validates cfg and builds the login step. Register it with
// Provider.SetAuthenticator and Provider.SetCodeExchanger.
func New(cfg Config) (*Login, error) {
	var errs []error
	if cfg.Provider == nil {
		errs = append(errs, errors.New("provider is required"))
	}
	if cfg.Resolver == nil {
		errs = append(errs, errors.New("resolver is required"))
	}
	if cfg.DingTalk == nil {
		errs = append(errs, errors.New("dingtalk client is required"))
	}
	if n := len(cfg.CookieHashKey); n != 32 && n != 64 {
		errs = append(errs, errors.New("cookie hash key must be 32 or 64 bytes"))
	}
	if len(cfg.CookieBlockKey) != 32 {
		errs = append(errs, errors.New("cookie block key must be 32 bytes"))
	}
	for name, v := range map[string]string{"jsapi script url": cfg.JSAPIScriptURL, "frame login script url": cfg.FrameLoginScriptURL} {
		if u, err := url.Parse(v); v != "" && (err != nil || !u.IsAbs() || u.Host == "") {
			errs = append(errs, fmt.Errorf("%s %q: must be an absolute URL", name, v))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("login: invalid config: %w", err)
	}
	if cfg.JSAPIScriptURL == "" {
		cfg.JSAPIScriptURL = DefaultJSAPIScriptURL
	}
	if cfg.FrameLoginScriptURL == "" {
		cfg.FrameLoginScriptURL = DefaultFrameLoginScriptURL
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	issuer := cfg.Provider.Issuer()
	u, err := url.Parse(issuer)
	if err != nil {
		return nil, fmt.Errorf("login: issuer: %w", err)
	}
	l := &Login{
		cfg:        cfg,
		p:          cfg.Provider,
		res:        cfg.Resolver,
		dt:         cfg.DingTalk,
		cookies:    provider.NewCookieCodec(cfg.CookieHashKey, cfg.CookieBlockKey, int(stateTTL.Seconds())),
		issuer:     issuer,
		cookiePath: u.EscapedPath(),
		log:        cfg.Logger,
		now:        cfg.Now,
	}
	if l.cookiePath == "" {
		l.cookiePath = "/"
	}
	l.mux = l.routes()
	return l, nil
}

func (l *Login) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+callbackPath, l.oauthCallback)
	mux.HandleFunc("GET "+snsCallbackPath, l.snsCallback)
	mux.HandleFunc("POST "+workspacePath, l.workspacePost)
	mux.HandleFunc("GET "+jsapiErrorPath, l.jsapiError)
	mux.HandleFunc("GET "+corpPath, l.corpChosen)
	mux.HandleFunc("GET "+cancelPath, l.cancel)
	mux.HandleFunc("GET "+assetsPath+"/{name}", l.asset)
	mux.HandleFunc("GET "+adminPath+"{client_id}", l.adminEntry)
	mux.HandleFunc("GET "+startPath+"{client_id}", l.startEntry)
	mux.HandleFunc("GET "+loginConfigPath, l.loginConfig)
	mux.HandleFunc("OPTIONS "+loginConfigPath, l.loginConfig)
	mux.HandleFunc("POST "+suiteTicketPath, l.suiteTicket)
	return mux
}

// ServeHTTP serves the callbacks and entry points; the provider's handler
// has already stripped the issuer path.
func (l *Login) ServeHTTP(w http.ResponseWriter, r *http.Request) { l.mux.ServeHTTP(w, r) }

func (l *Login) url(path string, q url.Values) string {
	if len(q) == 0 {
		return l.issuer + path
	}
	return l.issuer + path + "?" + q.Encode()
}

func (l *Login) loginURL(authRequestID string) string {
	return l.url("/login", url.Values{"authRequestID": {authRequestID}})
}

func (l *Login) cancelURL(authRequestID string, rsn reason) string {
	return l.url(cancelPath, url.Values{"authRequestID": {authRequestID}, "reason": {string(rsn)}})
}

func (l *Login) startURL(clientID, corpID string) string {
	q := url.Values{}
	if corpID != "" {
		q.Set("corpId", corpID)
	}
	return l.url(startPath+url.PathEscape(clientID), q)
}

// inDingTalk reports whether the request comes from the DingTalk client
// (the link-preview crawler excluded), or, with Dev, from a browser that
// carries the dev cookie.
func (l *Login) inDingTalk(r *http.Request) bool {
	if dingtalk.IsDingTalkUserAgent(r.UserAgent()) {
		return true
	}
	if !l.cfg.Dev {
		return false
	}
	c, err := r.Cookie(DevClientCookie)
	return err == nil && c.Value == "dingtalk"
}

func silent(prompt []string) bool { return slices.Contains(prompt, oidc.PromptNone) }

// CanLoginSilently reports whether a prompt=none request can be completed
// without a page: the browser is the DingTalk client and the corp is known
// (named, or the only one possible).
func (l *Login) CanLoginSilently(r *http.Request, req provider.LoginRequest) bool {
	if !l.inDingTalk(r) {
		return false
	}
	corp, err := l.selectCorp(r, req)
	return err == nil && corp != ""
}

// ServeLogin picks the login path for an authorization request: inside
// the DingTalk client the silent workspace page (or in-client
// sns_authorize for corps configured so), otherwise the QR page; a corp
// chooser first when several corps are possible and nothing names one.
func (l *Login) ServeLogin(w http.ResponseWriter, r *http.Request, req provider.LoginRequest) {
	page := pageInfo{lang: req.Lang, clientID: req.ClientID, clientName: req.ClientName, authRequestID: req.AuthRequestID, silent: silent(req.Prompt)}
	corp, err := l.selectCorp(r, req)
	if err != nil {
		l.fail(w, r, page, err)
		return
	}
	if l.inDingTalk(r) {
		if corp == "" {
			if page.silent {
				l.fail(w, r, page, errCorpRequired)
				return
			}
			l.chooser(w, r, page, req.Policy)
			return
		}
		l.inClient(w, r, page, corp)
		return
	}
	if page.silent {
		l.fail(w, r, page, errNotInClient)
		return
	}
	l.qrPage(w, r, page, corp, req.Policy)
}

// pageInfo is what every page and failure of one login needs to know.
type pageInfo struct {
	lang          templates.Lang
	clientID      string
	clientName    string
	authRequestID string // "" for the workspace entry
	silent        bool
	retryURL      string // overrides the default retry link
}

func (l *Login) page(r *http.Request, pi pageInfo, cancel reason) templates.LoginPage {
	p := templates.LoginPage{
		Lang:       pi.lang,
		RequestID:  provider.RequestID(r.Context()),
		ClientName: pi.clientName,
		AssetBase:  l.issuer + assetsPath,
	}
	if pi.authRequestID != "" && cancel != "" {
		p.CancelURL = l.cancelURL(pi.authRequestID, cancel)
	}
	return p
}

// asset serves the login pages' static scripts.
func (l *Login) asset(w http.ResponseWriter, r *http.Request) {
	body, ct, ok := templates.LoginAsset(r.PathValue("name"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(body)
}
