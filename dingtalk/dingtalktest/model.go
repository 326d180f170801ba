package dingtalktest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"slices"
)

// Lookups over the directory. Callers hold s.mu.

// memberKey names a corp member by userId or by unionId.
type memberKey struct{ corpID, id string }

type deptKey struct {
	corpID string
	id     int64
}

// dirIndex finds members and departments of the directory by key: the
// API endpoints a login calls look people up on every request.
type dirIndex struct {
	byUserID, byUnionID map[memberKey]int // index into Directory.Users
	depts               map[deptKey]int   // index into Directory.Departments
}

func indexDirectory(d Directory) dirIndex {
	x := dirIndex{
		byUserID:  make(map[memberKey]int, len(d.Users)),
		byUnionID: make(map[memberKey]int, len(d.Users)),
		depts:     make(map[deptKey]int, len(d.Departments)),
	}
	// The first entry wins, as a scan of the lists would find it.
	for i, u := range d.Users {
		if _, dup := x.byUserID[memberKey{u.CorpID, u.UserID}]; !dup {
			x.byUserID[memberKey{u.CorpID, u.UserID}] = i
		}
		if _, dup := x.byUnionID[memberKey{u.CorpID, u.UnionID}]; !dup {
			x.byUnionID[memberKey{u.CorpID, u.UnionID}] = i
		}
	}
	for i, dp := range d.Departments {
		if _, dup := x.depts[deptKey{dp.CorpID, dp.ID}]; !dup {
			x.depts[deptKey{dp.CorpID, dp.ID}] = i
		}
	}
	return x
}

func (s *Simulator) corp(id string) (Corp, bool) {
	i := slices.IndexFunc(s.dir.Corps, func(c Corp) bool { return c.CorpID == id })
	if i < 0 {
		return Corp{}, false
	}
	return s.dir.Corps[i], true
}

func (s *Simulator) app(key string) (App, bool) {
	i := slices.IndexFunc(s.dir.Apps, func(a App) bool { return a.AppKey == key })
	if i < 0 {
		return App{}, false
	}
	return s.dir.Apps[i], true
}

func (s *Simulator) suite(key string) (Suite, bool) {
	i := slices.IndexFunc(s.dir.Suites, func(x Suite) bool { return x.SuiteKey == key })
	if i < 0 {
		return Suite{}, false
	}
	return s.dir.Suites[i], true
}

func (s *Simulator) loginApp(id string) (LoginApp, bool) {
	i := slices.IndexFunc(s.dir.LoginApps, func(l LoginApp) bool { return l.AppID == id })
	if i < 0 {
		return LoginApp{}, false
	}
	return s.dir.LoginApps[i], true
}

func (s *Simulator) user(corpID, userID string) (User, bool) {
	i, ok := s.idx.byUserID[memberKey{corpID, userID}]
	if !ok {
		return User{}, false
	}
	return s.dir.Users[i], true
}

func (s *Simulator) userByUnionID(corpID, unionID string) (User, bool) {
	i, ok := s.idx.byUnionID[memberKey{corpID, unionID}]
	if !ok {
		return User{}, false
	}
	return s.dir.Users[i], true
}

func (s *Simulator) usersOf(corpID string) []User {
	var out []User
	for _, u := range s.dir.Users {
		if u.CorpID == corpID {
			out = append(out, u)
		}
	}
	return out
}

func (s *Simulator) dept(corpID string, id int64) (Department, bool) {
	i, ok := s.idx.depts[deptKey{corpID, id}]
	if !ok {
		return Department{}, false
	}
	return s.dir.Departments[i], true
}

// parentOf returns the parent id of a department, 0 for the root.
func parentOf(d Department) int64 {
	switch {
	case d.ID == 1:
		return 0
	case d.ParentID == 0:
		return 1
	default:
		return d.ParentID
	}
}

// deptChain lists id and its ancestors, own department first, root last.
func (s *Simulator) deptChain(corpID string, id int64) []int64 {
	var chain []int64
	for id != 0 && len(chain) < 64 {
		d, ok := s.dept(corpID, id)
		if !ok {
			break
		}
		chain = append(chain, id)
		id = parentOf(d)
	}
	return chain
}

// client is an OAuth client: an internal app or an ISV suite.
type client struct {
	key, secret      string
	suite            bool
	corps            []string
	permissions      []string
	redirectPrefixes []string
	app              App
}

func (c client) has(perm string) bool { return slices.Contains(c.permissions, perm) }

func (c client) inCorp(corpID string) bool { return slices.Contains(c.corps, corpID) }

func (s *Simulator) client(key string) (client, bool) {
	if a, ok := s.app(key); ok {
		return client{key: a.AppKey, secret: a.AppSecret, corps: []string{a.CorpID},
			permissions: a.Permissions, redirectPrefixes: a.RedirectPrefixes, app: a}, true
	}
	if su, ok := s.suite(key); ok {
		return client{key: su.SuiteKey, secret: su.SuiteSecret, suite: true, corps: su.AuthorizedCorps,
			permissions: su.Permissions, redirectPrefixes: su.RedirectPrefixes}, true
	}
	return client{}, false
}

// visible reports whether u is inside the visibility scope of c.
func (s *Simulator) visible(c client, u User) bool {
	if c.suite {
		return true
	}
	a := c.app
	if len(a.VisibleDeptIDs) == 0 && len(a.VisibleUserIDs) == 0 {
		return true
	}
	if slices.Contains(a.VisibleUserIDs, u.UserID) {
		return true
	}
	for _, d := range u.DeptIDs {
		for _, anc := range s.deptChain(u.CorpID, d) {
			if slices.Contains(a.VisibleDeptIDs, anc) {
				return true
			}
		}
	}
	return false
}

// sysLevel returns the E7 sys_level of u: 1 main admin, 2 sub-admin, 100 boss.
func sysLevel(u User) int {
	switch {
	case u.SysLevel != 0:
		return u.SysLevel
	case u.Admin:
		return 1
	case u.Boss:
		return 100
	}
	return 0
}

// openID derives a stable per-app id for a person.
func openID(clientKey, unionID string) string {
	return "o" + shortHash("openid", clientKey, unionID) + shortHash("openid2", unionID, clientKey)[:8]
}

func shortHash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// randomString returns n hex characters from crypto/rand.
func randomString(n int) string {
	b := make([]byte, (n+1)/2)
	rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

func requestID() string { return randomString(26) }
