package dingtalktest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"
)

// Option configures a Simulator or Server.
type Option func(*config)

type config struct {
	now func() time.Time
	dir *Directory
}

// WithClock makes the simulator read time from now (code and token expiry,
// signature windows). The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// WithDirectory makes NewServer start from d instead of DemoDirectory. It has
// no effect on NewSimulator, which takes the directory as an argument.
func WithDirectory(d Directory) Option {
	return func(c *config) { dd := d.clone(); c.dir = &dd }
}

// Simulator is the DingTalk simulator as an http.Handler. It is safe for
// concurrent use. Create it with NewSimulator or, in tests, NewServer.
type Simulator struct {
	mux *http.ServeMux

	// mu guards every field below.
	mu          sync.Mutex
	now         func() time.Time
	dir         Directory
	idx         dirIndex          // over dir; setDirectory keeps it current
	tickets     map[string]string // suiteKey → current suite ticket
	clientUsers map[string]string // corpID → userID of the "current DingTalk client user"
	clientCorp  string            // corp of the current client user for corp-less flows
	codes       map[string]*code
	tokens      map[string]*token
	reuse       map[string]string // reuse key → token value
	refresh     map[string]*refreshToken
	calls       map[Endpoint]int
	faults      map[Endpoint]*faultState
}

// NewSimulator returns a simulator serving dir. An invalid directory is a
// setup mistake and panics; LoadDirectory validates files beforehand.
func NewSimulator(dir Directory, opts ...Option) *Simulator {
	cfg := config{now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	if err := dir.Validate(); err != nil {
		panic(fmt.Sprintf("dingtalktest: invalid directory: %v", err))
	}
	s := &Simulator{
		now:         cfg.now,
		tickets:     map[string]string{},
		clientUsers: map[string]string{},
		codes:       map[string]*code{},
		tokens:      map[string]*token{},
		reuse:       map[string]string{},
		refresh:     map[string]*refreshToken{},
		calls:       map[Endpoint]int{},
		faults:      map[Endpoint]*faultState{},
	}
	s.setDirectory(dir.clone())
	for _, su := range s.dir.Suites {
		s.initTicket(su)
	}
	if len(s.dir.Corps) > 0 {
		s.clientCorp = s.dir.Corps[0].CorpID
	}
	s.mux = http.NewServeMux()
	s.routes()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Directory returns a copy of the current directory, secrets included, so a
// caller can print demo credentials.
func (s *Simulator) Directory() Directory {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dir.clone()
}

// SetNow replaces the simulator clock.
func (s *Simulator) SetNow(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// clock returns the current simulated time; callers hold mu.
func (s *Simulator) clock() time.Time { return s.now() }

// Server is a Simulator listening on a loopback httptest server. Point every
// DingTalk base URL (oapi, api, login) at URL.
type Server struct {
	*Simulator
	// URL is the base URL, http://127.0.0.1:port, with no trailing slash.
	URL string
	ts  *httptest.Server
}

// NewServer starts a simulator on loopback, populated with DemoDirectory
// unless WithDirectory says otherwise. Call Close when done.
func NewServer(opts ...Option) *Server {
	cfg := config{}
	for _, o := range opts {
		o(&cfg)
	}
	dir := DemoDirectory()
	if cfg.dir != nil {
		dir = *cfg.dir
	}
	sim := NewSimulator(dir, opts...)
	ts := httptest.NewServer(sim)
	return &Server{Simulator: sim, URL: ts.URL, ts: ts}
}

// Close shuts the server down and blocks until outstanding requests finish.
func (s *Server) Close() { s.ts.Close() }

// Client returns an HTTP client that talks to the server and does not follow
// redirects, so tests can read the Location a login page answers with.
func (s *Server) Client() *http.Client {
	c := *s.ts.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// setDirectory makes d the directory, with department 1 added to every
// corp that lacks it, and indexes it; callers hold mu or own s
// exclusively.
func (s *Simulator) setDirectory(d Directory) {
	roots := map[string]bool{}
	for _, dp := range d.Departments {
		if dp.ID == 1 {
			roots[dp.CorpID] = true
		}
	}
	for _, c := range d.Corps {
		if !roots[c.CorpID] {
			d.Departments = append(d.Departments, Department{CorpID: c.CorpID, ID: 1, Name: c.Name})
		}
	}
	s.dir = d
	s.idx = indexDirectory(d)
}

func (s *Simulator) initTicket(su Suite) {
	t := su.Ticket
	if t == "" {
		t = randomString(48)
	}
	s.tickets[su.SuiteKey] = t
}

// AddCorp adds an organisation with its root department. A duplicate corp id
// panics.
func (s *Simulator) AddCorp(c Corp) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dir.clone()
	d.Corps = append(d.Corps, c)
	s.mustApply(d)
	if s.clientCorp == "" {
		s.clientCorp = c.CorpID
	}
}

// AddDepartment adds a department; the corp and parent must exist.
func (s *Simulator) AddDepartment(dp Department) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dir.clone()
	d.Departments = append(d.Departments, dp)
	s.mustApply(d)
}

// AddUser adds a corp member. Conveniences for tests: an empty CorpID means
// the first corp, an empty UserID is derived from UnionID, an empty UnionID
// is generated, and an empty DeptIDs means the root department.
func (s *Simulator) AddUser(u User) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.CorpID == "" && len(s.dir.Corps) > 0 {
		u.CorpID = s.dir.Corps[0].CorpID
	}
	if u.UnionID == "" {
		u.UnionID = randomString(24)
	}
	if u.UserID == "" {
		u.UserID = "u" + shortHash(u.CorpID, u.UnionID)
	}
	if len(u.DeptIDs) == 0 {
		u.DeptIDs = []int64{1}
	}
	d := s.dir.clone()
	d.Users = append(d.Users, u)
	s.mustApply(d)
	return u
}

// RemoveUser removes the member userID from corpID, as when they leave the
// organisation: E8 and E9 no longer find them (60121). Their membership of
// other corps stays. An unknown user panics.
func (s *Simulator) RemoveUser(corpID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dir.clone()
	i := slices.IndexFunc(d.Users, func(u User) bool { return u.CorpID == corpID && u.UserID == userID })
	if i < 0 {
		panic(fmt.Sprintf("dingtalktest: RemoveUser: no user %q in corp %q", userID, corpID))
	}
	d.Users = slices.Delete(d.Users, i, i+1)
	s.mustApply(d)
}

// AddApp adds a corp-internal app; its corp must exist.
func (s *Simulator) AddApp(a App) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dir.clone()
	d.Apps = append(d.Apps, a)
	s.mustApply(d)
}

// AddSuite adds an ISV suite; its authorized corps must exist.
func (s *Simulator) AddSuite(su Suite) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dir.clone()
	d.Suites = append(d.Suites, su)
	s.mustApply(d)
	s.initTicket(su)
}

// AddLoginApp adds a legacy login app.
func (s *Simulator) AddLoginApp(l LoginApp) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dir.clone()
	d.LoginApps = append(d.LoginApps, l)
	s.mustApply(d)
}

// AuthorizeSuite records that corpID has installed the suite.
func (s *Simulator) AuthorizeSuite(suiteKey, corpID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dir.clone()
	i := slices.IndexFunc(d.Suites, func(x Suite) bool { return x.SuiteKey == suiteKey })
	if i < 0 {
		panic(fmt.Sprintf("dingtalktest: AuthorizeSuite: unknown suite %q", suiteKey))
	}
	d.Suites[i].AuthorizedCorps = append(d.Suites[i].AuthorizedCorps, corpID)
	s.mustApply(d)
}

// SetSuiteTicket sets the current suite ticket, as the suite_ticket event
// would. Older tickets stop working.
func (s *Simulator) SetSuiteTicket(suiteKey, ticket string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.suite(suiteKey); !ok {
		panic(fmt.Sprintf("dingtalktest: SetSuiteTicket: unknown suite %q", suiteKey))
	}
	s.tickets[suiteKey] = ticket
}

// SuiteTicket returns the current suite ticket of a suite.
func (s *Simulator) SuiteTicket(suiteKey string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tickets[suiteKey]
	if !ok {
		panic(fmt.Sprintf("dingtalktest: SuiteTicket: unknown suite %q", suiteKey))
	}
	return t
}

// mustApply validates d and makes it the directory; callers hold mu.
func (s *Simulator) mustApply(d Directory) {
	if err := d.Validate(); err != nil {
		panic(fmt.Sprintf("dingtalktest: %v", err))
	}
	s.setDirectory(d)
}
