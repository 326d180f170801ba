package provider

import (
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/dingbridge/dingbridge/storage"
)

// personAuth logs in a settable DingTalk identity through a given corp,
// as the login flows do: a non-member's identity has no corp ids, but the
// login (and so the session) is still for the corp.
type personAuth struct {
	p        atomic.Pointer[Provider]
	identity atomic.Pointer[storage.Identity]
	corpID   string
	calls    atomic.Int32
}

func (a *personAuth) ServeLogin(w http.ResponseWriter, r *http.Request, req LoginRequest) {
	a.calls.Add(1)
	id := *a.identity.Load()
	a.p.Load().FinishLogin(w, r, Finish{AuthRequestID: req.AuthRequestID, Identity: &id, AMR: []string{"qr"}, CorpID: a.corpID})
}

// TestSSOAppliesClientPolicy checks that single sign-on with an existing
// session admits the person only when the client's policy would have
// admitted them at a fresh login: a session opened at a lenient client
// must not carry a non-member, someone outside the required departments
// or an inactive account into a stricter one.
func TestSSOAppliesClientPolicy(t *testing.T) {
	const corp = "ding-corp-1"
	member := storage.Identity{CorpID: corp, UserID: "user-1", UnionID: "union-1", Profile: storage.Profile{
		Name: "Ada", Active: true, DeptIDs: []int64{42},
		Departments: []storage.Department{{ID: 42, Name: "R&D", ParentIDs: []int64{7, 1}, Path: "Corp/Eng/R&D"}},
	}}
	nonMember := storage.Identity{UnionID: "union-2", Profile: storage.Profile{Nick: "guest"}}
	inactive := member
	inactive.UserID, inactive.UnionID = "user-3", "union-3"
	inactive.Profile.Active = false

	cases := []struct {
		name     string
		identity storage.Identity
		policy   storage.ClientPolicy
		sso      bool
	}{
		{"member in an ancestor of a required department", member, storage.ClientPolicy{RequiredDepartments: []int64{7}}, true},
		{"member outside the required departments", member, storage.ClientPolicy{RequiredDepartments: []int64{99}}, false},
		{"member, members only", member, storage.ClientPolicy{MembersOnly: true}, true},
		{"non-member, members only", nonMember, storage.ClientPolicy{MembersOnly: true}, false},
		{"non-member, required departments", nonMember, storage.ClientPolicy{RequiredDepartments: []int64{42}}, false},
		{"non-member, open client", nonMember, storage.ClientPolicy{}, true},
		{"inactive, inactive refused", inactive, storage.ClientPolicy{}, false},
		{"inactive, inactive allowed", inactive, storage.ClientPolicy{AllowInactive: true}, true},
	}
	e := newEnv(t, newSQLite(t))
	a := &personAuth{corpID: corp}
	a.p.Store(e.p)
	e.p.SetAuthenticator(a)
	lenient := e.addClient("lenient", func(c *storage.Client) { c.Policy.AllowInactive = true })
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			strict := e.addClient("strict-"+string(rune('a'+i)), func(c *storage.Client) { c.Policy = tc.policy })
			a.identity.Store(&tc.identity)
			browser := newBrowser(t)
			if q := e.login(t, browser, lenient, nil); q.Get("code") == "" {
				t.Fatalf("login at the lenient client: %v", q)
			}
			before := a.calls.Load()
			if q := e.login(t, browser, strict, nil); q.Get("code") == "" {
				t.Fatalf("login at the strict client: %v", q)
			}
			if sso := a.calls.Load() == before; sso != tc.sso {
				t.Errorf("single sign-on = %v, want %v", sso, tc.sso)
			}
			if tc.sso {
				return
			}
			// Without a page, the refused session is login_required.
			q := e.login(t, browser, strict, url.Values{"prompt": {"none"}, "state": {"silent"}})
			if q.Get("error") != "login_required" || q.Get("state") != "silent" {
				t.Errorf("prompt=none with a session the policy refuses: %v, want login_required", q)
			}
		})
	}
}

// TestIDTokenHintNamesWhoLogsIn checks OpenID Connect Core 3.1.2.1: with
// an id_token_hint, a login by someone else than the hint's subject is not
// a positive answer — the client asked to (re)authenticate that person,
// and gets login_required instead of another person's code.
func TestIDTokenHintNamesWhoLogsIn(t *testing.T) {
	e := newEnv(t, newSQLite(t))
	c := e.addClient("web", nil)
	q := e.login(t, newBrowser(t), c, nil)
	_, tok := e.exchange(t, c, true, q.Get("code"), "")
	hint, _ := tok["id_token"].(string)

	// The hint's own person logging in again is fine.
	if q := e.login(t, newBrowser(t), c, url.Values{"id_token_hint": {hint}, "prompt": {"login"}}); q.Get("code") == "" {
		t.Fatalf("login of the hint's person: %v", q)
	}
	// Someone else logs in at the login step.
	e.auth.identity = storage.Identity{CorpID: "ding-corp-1", UserID: "user-2", UnionID: "union-2", Profile: storage.Profile{Name: "Bob", Active: true}}
	q = e.login(t, newBrowser(t), c, url.Values{"id_token_hint": {hint}, "state": {"h"}})
	if q.Get("code") != "" || q.Get("error") != "login_required" || q.Get("state") != "h" || q.Get("iss") != e.issuer {
		t.Errorf("another person logging in with a hint: %v, want login_required", q)
	}
	// The request is ended without its code: stored done, nothing to
	// redeem, and its handle completes nothing any more.
	handle := e.auth.last.Load().AuthRequestID
	ar, err := e.store.GetAuthRequest(t.Context(), e.p.AuthRequestLogID(handle))
	if err != nil || !ar.Done || ar.CodeHash != nil {
		t.Errorf("request after the refused login: %+v, %v; want done without a code", ar, err)
	}
	if resp := visit(t, newBrowser(t), e.issuer+"/login?authRequestID="+url.QueryEscape(handle)); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("the refused request's handle again: status %d, want 400", resp.StatusCode)
	}
}
