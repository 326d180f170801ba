package dingtalktest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Permission codes an app or suite can hold. The simulator checks them the
// way DingTalk's gateway does.
const (
	PermBase           = "qyapi_base"                 // E7 getuserinfo
	PermGetMember      = "qyapi_get_member"           // E8 user/get, E9 getbyunionid
	PermMobile         = "mobile"                     // E8 mobile
	PermEmail          = "email"                      // E8 email, work_place (personal-info permission)
	PermDepartmentList = "qyapi_get_department_list"  // E22-E25
	PermContactRead    = "Contact.User.Read"          // E3 users/me
	PermContactMobile  = "Contact.User.mobile"        // E3 mobile
	PermOpenAppBase    = "open_app_api_base"          // E2 userAccessToken
	PermSSOUserInfo    = "qyapi_get_omp_sso_userinfo" // E16 ssoUserInfo
)

// AllPermissions returns every permission code the simulator knows.
func AllPermissions() []string {
	return []string{PermBase, PermGetMember, PermMobile, PermEmail, PermDepartmentList,
		PermContactRead, PermContactMobile, PermOpenAppBase, PermSSOUserInfo}
}

// Directory is the whole simulated world: organisations, their people and
// departments, and the apps that call DingTalk. It loads from YAML or JSON.
type Directory struct {
	Corps       []Corp       `json:"corps" yaml:"corps"`
	Departments []Department `json:"departments,omitempty" yaml:"departments,omitempty"`
	Users       []User       `json:"users,omitempty" yaml:"users,omitempty"`
	Apps        []App        `json:"apps,omitempty" yaml:"apps,omitempty"`
	Suites      []Suite      `json:"suites,omitempty" yaml:"suites,omitempty"`
	LoginApps   []LoginApp   `json:"login_apps,omitempty" yaml:"login_apps,omitempty"`
}

// Corp is an organisation (企业). SSOSecret is the admin-console SSO secret
// used by E13/E14.
type Corp struct {
	CorpID    string `json:"corp_id" yaml:"corp_id"`
	Name      string `json:"name" yaml:"name"`
	SSOSecret string `json:"sso_secret,omitempty" yaml:"sso_secret,omitempty"`
}

// Department belongs to one corp. ID 1 is the root; the simulator creates it
// (named after the corp) when the directory does not list it. ParentID 0
// means "under the root".
type Department struct {
	CorpID   string `json:"corp_id" yaml:"corp_id"`
	ID       int64  `json:"id" yaml:"id"`
	Name     string `json:"name" yaml:"name"`
	ParentID int64  `json:"parent_id,omitempty" yaml:"parent_id,omitempty"`
	Order    int64  `json:"order,omitempty" yaml:"order,omitempty"`
}

// User is one person's membership of one corp. The same person in another
// corp of the same developer account is a second User with the same UnionID
// and (usually) another UserID. OpenIDs are derived per app from UnionID.
type User struct {
	CorpID    string  `json:"corp_id" yaml:"corp_id"`
	UserID    string  `json:"user_id" yaml:"user_id"`
	UnionID   string  `json:"union_id" yaml:"union_id"`
	Name      string  `json:"name" yaml:"name"`
	Nick      string  `json:"nick,omitempty" yaml:"nick,omitempty"`
	Avatar    string  `json:"avatar,omitempty" yaml:"avatar,omitempty"`
	Mobile    string  `json:"mobile,omitempty" yaml:"mobile,omitempty"`
	StateCode string  `json:"state_code,omitempty" yaml:"state_code,omitempty"`
	Telephone string  `json:"telephone,omitempty" yaml:"telephone,omitempty"`
	Email     string  `json:"email,omitempty" yaml:"email,omitempty"`
	OrgEmail  string  `json:"org_email,omitempty" yaml:"org_email,omitempty"`
	JobNumber string  `json:"job_number,omitempty" yaml:"job_number,omitempty"`
	Title     string  `json:"title,omitempty" yaml:"title,omitempty"`
	WorkPlace string  `json:"work_place,omitempty" yaml:"work_place,omitempty"`
	HiredDate int64   `json:"hired_date,omitempty" yaml:"hired_date,omitempty"` // ms since epoch
	DeptIDs   []int64 `json:"dept_id_list,omitempty" yaml:"dept_id_list,omitempty"`
	Admin     bool    `json:"admin,omitempty" yaml:"admin,omitempty"`
	Boss      bool    `json:"boss,omitempty" yaml:"boss,omitempty"`
	// SysLevel is 1 main admin, 2 sub-admin, 100 boss, 0 other; when zero it
	// is derived from Admin (1) and Boss (100).
	SysLevel int `json:"sys_level,omitempty" yaml:"sys_level,omitempty"`
	// Inactive marks a member who has not activated DingTalk (E8 active=false).
	Inactive bool `json:"inactive,omitempty" yaml:"inactive,omitempty"`
	// Password enables the account+password login (account = mobile or email).
	Password string `json:"password,omitempty" yaml:"password,omitempty"`
}

// App is a corp-internal app (企业内部应用).
type App struct {
	CorpID      string   `json:"corp_id" yaml:"corp_id"`
	Name        string   `json:"name" yaml:"name"`
	AppKey      string   `json:"app_key" yaml:"app_key"`
	AppSecret   string   `json:"app_secret,omitempty" yaml:"app_secret,omitempty"`
	AgentID     int64    `json:"agent_id" yaml:"agent_id"`
	Permissions []string `json:"permissions" yaml:"permissions"`
	// VisibleDeptIDs and VisibleUserIDs limit who may use the app; both
	// empty means the whole corp. A department includes its sub-departments.
	VisibleDeptIDs []int64  `json:"visible_dept_ids,omitempty" yaml:"visible_dept_ids,omitempty"`
	VisibleUserIDs []string `json:"visible_user_ids,omitempty" yaml:"visible_user_ids,omitempty"`
	// RedirectPrefixes, when set, are the only allowed redirect_uri prefixes.
	RedirectPrefixes []string `json:"redirect_prefixes,omitempty" yaml:"redirect_prefixes,omitempty"`
}

// Suite is a third-party (ISV) app authorized by some corps. Ticket is the
// initial suite ticket (a random one when empty); change it with SetSuiteTicket.
type Suite struct {
	Name             string   `json:"name" yaml:"name"`
	SuiteKey         string   `json:"suite_key" yaml:"suite_key"`
	SuiteSecret      string   `json:"suite_secret,omitempty" yaml:"suite_secret,omitempty"`
	Ticket           string   `json:"ticket,omitempty" yaml:"ticket,omitempty"`
	AuthorizedCorps  []string `json:"authorized_corps" yaml:"authorized_corps"`
	Permissions      []string `json:"permissions" yaml:"permissions"`
	RedirectPrefixes []string `json:"redirect_prefixes,omitempty" yaml:"redirect_prefixes,omitempty"`
}

// LoginApp is a legacy login app (扫码登录应用授权) used by qrconnect,
// sns_authorize and sns/getuserinfo_bycode. Anyone in the directory can log in.
type LoginApp struct {
	Name             string   `json:"name" yaml:"name"`
	AppID            string   `json:"app_id" yaml:"app_id"`
	AppSecret        string   `json:"app_secret,omitempty" yaml:"app_secret,omitempty"`
	RedirectPrefixes []string `json:"redirect_prefixes,omitempty" yaml:"redirect_prefixes,omitempty"`
}

// LoadDirectory reads a directory from a .yaml/.yml or .json file and
// validates it.
func LoadDirectory(path string) (Directory, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Directory{}, fmt.Errorf("read directory: %w", err)
	}
	var d Directory
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		err = dec.Decode(&d)
	case ".json":
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		err = dec.Decode(&d)
	default:
		return Directory{}, fmt.Errorf("read directory %s: unknown extension (want .yaml, .yml or .json)", path)
	}
	if err != nil {
		return Directory{}, fmt.Errorf("decode directory %s: %w", path, err)
	}
	if err := d.Validate(); err != nil {
		return Directory{}, fmt.Errorf("directory %s: %w", path, err)
	}
	return d, nil
}

// Validate reports every inconsistency in d at once: unknown corps, duplicate
// keys or ids, departments or parents that do not exist.
func (d Directory) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	corps := map[string]bool{}
	for i, c := range d.Corps {
		if c.CorpID == "" {
			bad("corps[%d]: corp_id is empty", i)
		}
		if corps[c.CorpID] {
			bad("corps[%d]: duplicate corp_id %q", i, c.CorpID)
		}
		corps[c.CorpID] = true
	}
	depts := map[string]map[int64]bool{}
	for c := range corps {
		depts[c] = map[int64]bool{1: true}
	}
	for i, dp := range d.Departments {
		if !corps[dp.CorpID] {
			bad("departments[%d]: unknown corp_id %q", i, dp.CorpID)
			continue
		}
		if dp.ID <= 0 {
			bad("departments[%d]: id must be positive", i)
		}
		if dp.ID != 1 && depts[dp.CorpID][dp.ID] {
			bad("departments[%d]: duplicate id %d", i, dp.ID)
		}
		depts[dp.CorpID][dp.ID] = true
	}
	for i, dp := range d.Departments {
		if p := dp.ParentID; p != 0 && corps[dp.CorpID] && !depts[dp.CorpID][p] {
			bad("departments[%d]: unknown parent_id %d", i, p)
		}
	}
	users := map[string]bool{}
	for i, u := range d.Users {
		if !corps[u.CorpID] {
			bad("users[%d]: unknown corp_id %q", i, u.CorpID)
			continue
		}
		if u.UserID == "" || u.UnionID == "" {
			bad("users[%d]: user_id and union_id are required", i)
		}
		k := u.CorpID + "\x00" + u.UserID
		if users[k] {
			bad("users[%d]: duplicate user_id %q in corp %q", i, u.UserID, u.CorpID)
		}
		users[k] = true
		for _, id := range u.DeptIDs {
			if !depts[u.CorpID][id] {
				bad("users[%d]: unknown department %d", i, id)
			}
		}
	}
	keys := map[string]bool{}
	key := func(where, k string) {
		if k == "" {
			bad("%s: key is empty", where)
		} else if keys[k] {
			bad("%s: duplicate key %q", where, k)
		}
		keys[k] = true
	}
	for i, a := range d.Apps {
		key(fmt.Sprintf("apps[%d]", i), a.AppKey)
		if !corps[a.CorpID] {
			bad("apps[%d]: unknown corp_id %q", i, a.CorpID)
		}
	}
	for i, s := range d.Suites {
		key(fmt.Sprintf("suites[%d]", i), s.SuiteKey)
		for _, c := range s.AuthorizedCorps {
			if !corps[c] {
				bad("suites[%d]: unknown authorized corp %q", i, c)
			}
		}
	}
	for i, l := range d.LoginApps {
		key(fmt.Sprintf("login_apps[%d]", i), l.AppID)
	}
	return errors.Join(errs...)
}

// clone returns a deep copy of d.
func (d Directory) clone() Directory {
	c := Directory{
		Corps:       slices.Clone(d.Corps),
		Departments: slices.Clone(d.Departments),
		Users:       slices.Clone(d.Users),
		Apps:        slices.Clone(d.Apps),
		Suites:      slices.Clone(d.Suites),
		LoginApps:   slices.Clone(d.LoginApps),
	}
	for i := range c.Users {
		c.Users[i].DeptIDs = slices.Clone(c.Users[i].DeptIDs)
	}
	for i := range c.Apps {
		a := &c.Apps[i]
		a.Permissions = slices.Clone(a.Permissions)
		a.VisibleDeptIDs = slices.Clone(a.VisibleDeptIDs)
		a.VisibleUserIDs = slices.Clone(a.VisibleUserIDs)
		a.RedirectPrefixes = slices.Clone(a.RedirectPrefixes)
	}
	for i := range c.Suites {
		s := &c.Suites[i]
		s.AuthorizedCorps = slices.Clone(s.AuthorizedCorps)
		s.Permissions = slices.Clone(s.Permissions)
		s.RedirectPrefixes = slices.Clone(s.RedirectPrefixes)
	}
	for i := range c.LoginApps {
		c.LoginApps[i].RedirectPrefixes = slices.Clone(c.LoginApps[i].RedirectPrefixes)
	}
	return c
}

// withoutSecrets returns a copy of d with every secret and password blanked.
func (d Directory) withoutSecrets() Directory {
	c := d.clone()
	for i := range c.Corps {
		c.Corps[i].SSOSecret = ""
	}
	for i := range c.Users {
		c.Users[i].Password = ""
	}
	for i := range c.Apps {
		c.Apps[i].AppSecret = ""
	}
	for i := range c.Suites {
		c.Suites[i].SuiteSecret = ""
		c.Suites[i].Ticket = ""
	}
	for i := range c.LoginApps {
		c.LoginApps[i].AppSecret = ""
	}
	return c
}
