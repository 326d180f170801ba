package resolve

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk"
	"github.com/dingbridge/dingbridge/storage"
)

// Errors of the registry. Test with errors.Is.
var (
	// ErrUnknownCorp: no internal app or suite serves the corp.
	ErrUnknownCorp = errors.New("resolve: corp is not configured")
	// ErrUnknownClient: the app key, suite key or login app id is not
	// configured.
	ErrUnknownClient = errors.New("resolve: DingTalk app is not configured")
	// ErrUnknownSuite: the suite key is not configured.
	ErrUnknownSuite = errors.New("resolve: suite is not configured")
	// ErrCorpRequired: several corps are possible and nothing names one.
	ErrCorpRequired = errors.New("resolve: a corp must be chosen")
	// ErrNoSSO: no admin-console SSO configuration matches the selector,
	// or several do and the selector names none.
	ErrNoSSO = errors.New("resolve: no admin-console SSO configuration matches")
	// ErrNoSuiteTicket: the suite has no static ticket and none was pushed
	// yet.
	ErrNoSuiteTicket = errors.New("resolve: no suite ticket received yet")
)

// Resolver turns DingTalk codes into identities. It holds the app registry,
// built once by New; it is safe for concurrent use.
type Resolver struct {
	dt    *dingtalk.Client
	store storage.Storage
	log   *slog.Logger
	now   func() time.Time
	lang  string
	ttl   time.Duration
	depts deptMemo // departments read from the cache table, until their rows expire
	// members: the userid of a (corp, unionid) E9 and E8 agreed on, so a
	// returning member's QR or SNS login skips E9
	members memberMemo

	corps     map[string]*corpEntry // by corpId
	sorted    []*corpEntry          // by name, then corpId
	apps      map[string]*corpEntry // internal apps by appKey
	suites    map[string]*suiteEntry
	loginApps map[string]*loginEntry
	loginList []*loginEntry // config order
	ssos      []*ssoEntry   // config order: internal corps, then suites
}

// corpEntry is one served corp and the handle that reads its directory.
type corpEntry struct {
	info CorpInfo
	// app is the corp's internal app; nil for a suite-only corp.
	app *dingtalk.AppClient
	// suite serves the corp as an authorized corp; nil when not.
	suite *suiteEntry
	// dir reads the directory: the internal app, else the suite's corp
	// token.
	dir *dingtalk.CorpClient
}

type suiteEntry struct {
	cfg    Suite
	client *dingtalk.SuiteClient
	corps  map[string]*dingtalk.CorpClient
}

type loginEntry struct {
	cfg    LoginApp
	client *dingtalk.AppClient
}

type ssoEntry struct {
	corpID string // the corp owning the SSO secret
	appKey string // internal app key, when from Config.Corps
	suite  *suiteEntry
	client *dingtalk.SSOClient
}

// CorpInfo is the public description of a served corp.
type CorpInfo struct {
	CorpID string
	Name   string
	// ClientID is the appKey (internal app) or suiteKey (ISV) used for the
	// login page (E1) and the JSAPI.
	ClientID string
	// AgentID is the app's agent id in the corp; 0 when unknown.
	AgentID int64
	// ISV reports a corp served through a suite.
	ISV bool
	// InClient is InClientJSAPI or InClientSNS.
	InClient string
	// LoginAppID is the first legacy login app covering the corp; "" when
	// none does.
	LoginAppID string
	// HasSSO reports an admin-console SSO entry for the corp.
	HasSSO bool
}

// New validates cfg and builds the registry. Validation errors name the
// offending key ("corps[1].appKey: must be 20 characters, got 19"), all at
// once. dt is shared by every handle; give it NewTokenStore to share tokens
// between replicas.
//
// A corp served by both an internal app and a suite is served through the
// internal app (CorpInfo, workspace logins, directory reads); the suite still
// accepts QR logins for it.
func New(cfg Config, dt *dingtalk.Client, store storage.Storage, opts Options) (*Resolver, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("resolve config: %w", err)
	}
	if dt == nil || store == nil {
		return nil, errors.New("resolve: dingtalk client and storage are required")
	}
	opts = opts.withDefaults()
	r := &Resolver{
		dt: dt, store: store, log: opts.Logger, now: opts.Now,
		lang: cmp.Or(cfg.Language, LanguageZH), ttl: cmp.Or(cfg.DepartmentCacheTTL, time.Hour),
		corps: map[string]*corpEntry{}, apps: map[string]*corpEntry{},
		suites: map[string]*suiteEntry{}, loginApps: map[string]*loginEntry{},
	}
	for _, c := range cfg.Corps {
		app := dt.App(dingtalk.App{AppKey: c.AppKey, AppSecret: c.AppSecret, AgentID: c.AgentID,
			CorpID: c.CorpID, TokenMethod: c.TokenMethod})
		e := &corpEntry{app: app, dir: app.CorpClient, info: CorpInfo{
			CorpID: c.CorpID, Name: cmp.Or(c.Name, c.CorpID), ClientID: c.AppKey, AgentID: c.AgentID,
			InClient: cmp.Or(c.InClient, InClientJSAPI), LoginAppID: firstLoginApp(cfg.LoginApps, c.CorpID),
			HasSSO: c.SSOSecret != "",
		}}
		r.corps[c.CorpID] = e
		r.apps[c.AppKey] = e
		if c.SSOSecret != "" {
			r.ssos = append(r.ssos, &ssoEntry{corpID: c.CorpID, appKey: c.AppKey,
				client: dt.SSO(dingtalk.SSO{CorpID: c.CorpID, SSOSecret: c.SSOSecret, TokenMethod: c.SSOMethod})})
		}
	}
	for _, s := range cfg.Suites {
		se := &suiteEntry{cfg: s, corps: map[string]*dingtalk.CorpClient{}}
		se.client = dt.Suite(dingtalk.Suite{SuiteKey: s.SuiteKey, SuiteSecret: s.SuiteSecret, TokenMethod: s.TokenMethod},
			r.ticketFunc(s))
		r.suites[s.SuiteKey] = se
		for _, sc := range s.Corps {
			cc := se.client.Corp(sc.CorpID)
			se.corps[sc.CorpID] = cc
			if e, ok := r.corps[sc.CorpID]; ok {
				e.suite = se
				e.info.HasSSO = e.info.HasSSO || s.SSOSecret != ""
				continue
			}
			r.corps[sc.CorpID] = &corpEntry{suite: se, dir: cc, info: CorpInfo{
				CorpID: sc.CorpID, Name: cmp.Or(sc.Name, sc.CorpID), ClientID: s.SuiteKey, AgentID: sc.AgentID,
				ISV: true, InClient: InClientJSAPI, LoginAppID: firstLoginApp(cfg.LoginApps, sc.CorpID),
				HasSSO: s.SSOSecret != "",
			}}
		}
		if s.SSOSecret != "" {
			r.ssos = append(r.ssos, &ssoEntry{corpID: s.SSOCorpID, suite: se,
				client: dt.SSO(dingtalk.SSO{CorpID: s.SSOCorpID, SSOSecret: s.SSOSecret, TokenMethod: s.SSOMethod})})
		}
	}
	for _, l := range cfg.LoginApps {
		le := &loginEntry{cfg: l, client: dt.App(dingtalk.App{AppKey: l.AppID, AppSecret: l.AppSecret})}
		r.loginApps[l.AppID] = le
		r.loginList = append(r.loginList, le)
	}
	for _, e := range r.corps {
		r.sorted = append(r.sorted, e)
	}
	slices.SortFunc(r.sorted, func(a, b *corpEntry) int {
		return cmp.Or(cmp.Compare(a.info.Name, b.info.Name), cmp.Compare(a.info.CorpID, b.info.CorpID))
	})
	return r, nil
}

// Corps returns every served corp, internal and suite corps, sorted by name.
func (r *Resolver) Corps() []CorpInfo {
	out := make([]CorpInfo, len(r.sorted))
	for i, e := range r.sorted {
		out[i] = e.info
	}
	return out
}

// Corp returns the served corp corpID (seed 002 getAuthByCorpId).
func (r *Resolver) Corp(corpID string) (CorpInfo, bool) {
	e, ok := r.corps[corpID]
	if !ok {
		return CorpInfo{}, false
	}
	return e.info, true
}

// LoginConfig is the public login configuration of a corp (seed 002
// getLoginConfig): what a custom login page needs to draw DingTalk's QR code
// or call the JSAPI. It never contains a secret.
type LoginConfig struct {
	CorpID   string `json:"corpId"`
	CorpName string `json:"corpName"`
	// ClientID is the appKey or suiteKey (E1 client_id).
	ClientID string `json:"clientId"`
	// AppKey repeats ClientID for internal apps (seed 002's field name).
	AppKey  string `json:"appKey,omitempty"`
	AgentID int64  `json:"agentId,omitempty"`
	// Scope is the E1 scope: "openid", or "openid corpid" for suites.
	Scope    string `json:"scope"`
	ISV      bool   `json:"isv"`
	InClient string `json:"inClient"`
	// LoginAppID is the legacy login app for qrconnect / sns_authorize.
	LoginAppID string `json:"loginAppId,omitempty"`
}

// LoginConfig returns the public login configuration of corpID;
// ErrUnknownCorp when it is not served.
func (r *Resolver) LoginConfig(corpID string) (LoginConfig, error) {
	e, ok := r.corps[corpID]
	if !ok {
		return LoginConfig{}, fmt.Errorf("login config of %q: %w", corpID, ErrUnknownCorp)
	}
	lc := LoginConfig{
		CorpID: e.info.CorpID, CorpName: e.info.Name, ClientID: e.info.ClientID, AgentID: e.info.AgentID,
		Scope: dingtalk.ScopeOpenID, ISV: e.info.ISV, InClient: e.info.InClient, LoginAppID: e.info.LoginAppID,
	}
	if e.info.ISV {
		lc.Scope = dingtalk.ScopeOpenIDCorpID
	} else {
		lc.AppKey = e.info.ClientID
	}
	return lc, nil
}

// QRClient says which app draws the new-OAuth login page (E1) for corpID and
// whether it must ask for scope "openid corpid" (then E2 reports the corp the
// person picked; pass corpID as E1's corpId to preselect it).
//
// For a named corp: its internal app (scope "openid"), or its suite (scope
// "openid corpid"). With corpID "": the single served corp's app when only
// one corp is served; else a suite that serves every served corp (scope
// "openid corpid"); else ErrCorpRequired. An unknown corp is ErrUnknownCorp.
func (r *Resolver) QRClient(corpID string) (clientID string, scopeCorp bool, err error) {
	if corpID != "" {
		e, ok := r.corps[corpID]
		if !ok {
			return "", false, fmt.Errorf("qr client of %q: %w", corpID, ErrUnknownCorp)
		}
		return e.info.ClientID, e.info.ISV, nil
	}
	if len(r.sorted) == 1 {
		e := r.sorted[0]
		return e.info.ClientID, e.info.ISV, nil
	}
	for _, s := range r.suiteList() {
		all := true
		for id := range r.corps {
			if _, ok := s.corps[id]; !ok {
				all = false
				break
			}
		}
		if all {
			return s.cfg.SuiteKey, true, nil
		}
	}
	return "", false, ErrCorpRequired
}

// suiteList returns the suites sorted by key, for deterministic choices.
func (r *Resolver) suiteList() []*suiteEntry {
	out := make([]*suiteEntry, 0, len(r.suites))
	for _, s := range r.suites {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *suiteEntry) int { return cmp.Compare(a.cfg.SuiteKey, b.cfg.SuiteKey) })
	return out
}

// directory returns the handle that reads corpID's directory, preferring the
// suite the login came through when it serves the corp. nil when the corp
// is not served.
func (r *Resolver) directory(corpID string, via *suiteEntry) *dingtalk.CorpClient {
	if via != nil {
		if cc, ok := via.corps[corpID]; ok {
			return cc
		}
	}
	if e, ok := r.corps[corpID]; ok {
		return e.dir
	}
	return nil
}

// corpName returns the configured name of corpID, or "".
func (r *Resolver) corpName(corpID string) string {
	if e, ok := r.corps[corpID]; ok {
		return e.info.Name
	}
	return ""
}

// ticketFunc returns the suite's ticket source: the static ticket, else the
// newest pushed ticket from storage.
func (r *Resolver) ticketFunc(s Suite) dingtalk.TicketFunc {
	if s.Ticket != "" {
		t := s.Ticket
		return func(context.Context) (string, error) { return t, nil }
	}
	key := suiteTicketKey(s.SuiteKey)
	return func(ctx context.Context) (string, error) {
		e, err := r.store.GetCache(ctx, key, r.now())
		if errors.Is(err, storage.ErrNotFound) {
			return "", fmt.Errorf("suite %s: %w", s.SuiteKey, ErrNoSuiteTicket)
		}
		if err != nil {
			return "", fmt.Errorf("load suite ticket: %w", err)
		}
		return string(e.Value), nil
	}
}
