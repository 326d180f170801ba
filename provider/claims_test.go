package provider

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/dingbridge/dingbridge/storage"
)

// userinfo fetches /userinfo with an access token and decodes it.
func userinfo(t *testing.T, e *env, accessToken string) map[string]any {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.issuer+"/userinfo", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &out) != nil {
		t.Fatalf("userinfo: %d %s", resp.StatusCode, body)
	}
	return out
}

// claimsOf runs setClaims and returns the claims as JSON decodes them.
func claimsOf(t *testing.T, u storage.User, b *storage.Binding, policy storage.ClientPolicy, scopes []string) map[string]any {
	t.Helper()
	info := new(oidc.UserInfo)
	setClaims(info, u, b, policy, scopes)
	raw, err := json.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestClaimsMapping(t *testing.T) {
	depts := []storage.Department{
		{ID: 10, Name: "Backend", ParentIDs: []int64{5, 1}, Path: "Acme/Engineering/Backend"},
		{ID: 20, Name: "Sales", ParentIDs: []int64{1}, Path: "Acme/Sales"},
	}
	prof := storage.Profile{
		Name: "Ada Lovelace", Nick: "ada", Avatar: "https://img.example/ada.png",
		Email: "ada@home.example", OrgEmail: "ada@corp.example", Mobile: "13800000000", StateCode: "86",
		JobNumber: "E007", Title: "Engineer", DeptIDs: []int64{10, 20}, Departments: depts,
		Admin: true, SysLevel: 2, Locale: "zh_CN", CorpName: "Acme",
	}
	u := storage.User{Subject: "sub-1", Profile: storage.Profile{Name: "Stale Name"}}
	b := &storage.Binding{CorpID: "corp-1", UserID: "user-1", UnionID: "union-1", Subject: "sub-1", Profile: prof}
	strs := func(ss ...string) []any {
		out := make([]any, len(ss))
		for i, s := range ss {
			out[i] = s
		}
		return out
	}

	tests := []struct {
		name    string
		user    storage.User
		binding *storage.Binding
		policy  storage.ClientPolicy
		scopes  []string
		want    map[string]any // claims that must be present with these values
		absent  []string
	}{
		{
			name: "openid only", user: u, binding: b, scopes: []string{"openid"},
			want:   map[string]any{"sub": "sub-1"},
			absent: []string{"name", "email", "groups", "roles", "dingtalk", "phone_number", "preferred_username"},
		},
		{
			name: "profile from the binding", user: u, binding: b, scopes: []string{"openid", "profile"},
			want: map[string]any{
				"name": "Ada Lovelace", "nickname": "ada", "preferred_username": "E007",
				"picture": "https://img.example/ada.png", "locale": "zh-CN", "roles": strs("admin", "sub_admin"),
			},
			absent: []string{"email", "groups"},
		},
		{
			name: "preferred_username falls back to userId", user: u,
			binding: &storage.Binding{CorpID: "corp-1", UserID: "user-1", Profile: storage.Profile{Nick: "ada"}},
			scopes:  []string{"openid", "profile"}, want: map[string]any{"preferred_username": "user-1"},
		},
		{
			name: "preferred_username falls back to nick", user: storage.User{Subject: "s", Profile: storage.Profile{Nick: "ada"}},
			scopes: []string{"openid", "profile"}, want: map[string]any{"preferred_username": "ada"},
		},
		{
			name: "org email by default", user: u, binding: b, scopes: []string{"openid", "email"},
			want: map[string]any{"email": "ada@corp.example", "email_verified": true},
		},
		{
			name: "default policy without org email omits email", user: u,
			binding: &storage.Binding{CorpID: "c", Profile: storage.Profile{Email: "ada@home.example"}},
			scopes:  []string{"openid", "email"}, absent: []string{"email", "email_verified"},
		},
		{
			name: "directory email unverified", user: u, binding: b, policy: storage.ClientPolicy{Email: "directory"},
			scopes: []string{"openid", "email"}, want: map[string]any{"email": "ada@home.example", "email_verified": false},
		},
		{
			name: "email omitted", user: u, binding: b, policy: storage.ClientPolicy{Email: "omit"},
			scopes: []string{"openid", "email"}, absent: []string{"email", "email_verified"},
		},
		{
			name: "phone with its scope", user: u, binding: b, scopes: []string{"openid", "phone"},
			want: map[string]any{"phone_number": "+8613800000000", "phone_number_verified": true},
		},
		{
			name: "phone never through AlwaysRelease", user: u, binding: b,
			policy: storage.ClientPolicy{AlwaysRelease: []string{"phone", "email"}}, scopes: []string{"openid"},
			want: map[string]any{"email": "ada@corp.example"}, absent: []string{"phone_number"},
		},
		{
			name: "AlwaysRelease for a client asking only openid", user: u, binding: b,
			policy: storage.ClientPolicy{AlwaysRelease: []string{"profile", "email", "groups", "dingtalk"}},
			scopes: []string{"openid"},
			want: map[string]any{
				"name": "Ada Lovelace", "email": "ada@corp.example", "groups": strs("Backend", "Sales"),
				"roles": strs("admin", "sub_admin"),
			},
		},
		{
			name: "groups names", user: u, binding: b, scopes: []string{"openid", "groups"},
			want: map[string]any{"groups": strs("Backend", "Sales"), "roles": strs("admin", "sub_admin")},
		},
		{
			name: "groups names with parents", user: u, binding: b, policy: storage.ClientPolicy{GroupsParents: true},
			scopes: []string{"openid", "groups"},
			want:   map[string]any{"groups": strs("Backend", "Engineering", "Acme", "Sales")},
		},
		{
			name: "groups ids with parents", user: u, binding: b, policy: storage.ClientPolicy{Groups: "ids", GroupsParents: true},
			scopes: []string{"openid", "groups"}, want: map[string]any{"groups": strs("10", "5", "1", "20")},
		},
		{
			name: "groups paths", user: u, binding: b, policy: storage.ClientPolicy{Groups: "paths"},
			scopes: []string{"openid", "groups"}, want: map[string]any{"groups": strs("Acme/Engineering/Backend", "Acme/Sales")},
		},
		{
			name: "groups paths with parents", user: u, binding: b, policy: storage.ClientPolicy{Groups: "paths", GroupsParents: true},
			scopes: []string{"openid", "groups"},
			want:   map[string]any{"groups": strs("Acme/Engineering/Backend", "Acme/Engineering", "Acme", "Acme/Sales")},
		},
		{
			name: "roles boss and app admin", user: storage.User{Subject: "s"},
			binding: &storage.Binding{CorpID: "c", Profile: storage.Profile{Boss: true, AppAdmin: true}},
			scopes:  []string{"openid", "profile"}, want: map[string]any{"roles": strs("boss", "app_admin")},
		},
		{
			name: "no roles, no departments: empty arrays", user: storage.User{Subject: "s"}, binding: &storage.Binding{CorpID: "c"},
			scopes: []string{"openid", "profile", "groups"}, want: map[string]any{"roles": []any{}, "groups": []any{}},
		},
		{
			name: "dingtalk object", user: u, binding: b, scopes: []string{"openid", "dingtalk"},
			want: map[string]any{"dingtalk": map[string]any{
				"corp_id": "corp-1", "corp_name": "Acme", "user_id": "user-1", "union_id": "union-1",
				"job_number": "E007", "title": "Engineer", "dept_ids": []any{10.0, 20.0},
			}},
			absent: []string{"name", "groups"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := claimsOf(t, tt.user, tt.binding, tt.policy, tt.scopes)
			for k, want := range tt.want {
				if !reflect.DeepEqual(got[k], want) {
					t.Errorf("%s = %#v, want %#v", k, got[k], want)
				}
			}
			for _, k := range tt.absent {
				if v, ok := got[k]; ok {
					t.Errorf("%s = %#v, want absent", k, v)
				}
			}
		})
	}
}

func TestPhoneNumber(t *testing.T) {
	for _, tt := range []struct{ mobile, code, want string }{
		{"13800000000", "86", "+8613800000000"},
		{"13800000000", "", "+8613800000000"},
		{"91234567", "+852", "+85291234567"},
		{"+6591234567", "65", "+6591234567"},
		{"", "86", ""},
	} {
		if got := phoneNumber(storage.Profile{Mobile: tt.mobile, StateCode: tt.code}); got != tt.want {
			t.Errorf("phoneNumber(%q, %q) = %q, want %q", tt.mobile, tt.code, got, tt.want)
		}
	}
}

// TestClaimsFollowSessionCorp logs one person in through two corps and
// checks that userinfo shows the binding of the token's session corp,
// and the most recently used binding once that session is gone.
func TestClaimsFollowSessionCorp(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b.open(t))
			c := e.addClient("app", func(c *storage.Client) {
				c.Policy.ClaimsInIDToken = false
				c.Policy.AlwaysRelease = []string{"groups"}
			})
			scope := url.Values{"scope": {"openid profile email phone dingtalk"}}

			e.auth.identity.Profile.Departments = []storage.Department{{ID: 7, Name: "Research", Path: "Corp One/Research"}}
			q := e.login(t, newBrowser(t), c, scope)
			_, tok1 := e.exchange(t, c, true, q.Get("code"), "")

			e.clock.Advance(time.Second)
			e.auth.identity.CorpID, e.auth.identity.UserID = "ding-corp-2", "user-2"
			e.auth.identity.Profile = storage.Profile{Name: "Ada (Two)", Mobile: "13900000000", StateCode: "86"}
			q = e.login(t, newBrowser(t), c, scope)
			_, tok2 := e.exchange(t, c, true, q.Get("code"), "")

			info1 := userinfo(t, e, tok1["access_token"].(string))
			info2 := userinfo(t, e, tok2["access_token"].(string))
			if info1["sub"] != info2["sub"] {
				t.Fatalf("sub differs across corps: %v vs %v", info1["sub"], info2["sub"])
			}
			dt1, _ := info1["dingtalk"].(map[string]any)
			dt2, _ := info2["dingtalk"].(map[string]any)
			if dt1["corp_id"] != "ding-corp-1" || dt1["user_id"] != "user-1" || dt1["union_id"] != "union-1" ||
				info1["name"] != "Ada" || info1["email"] != "ada@corp.example" || info1["preferred_username"] != "user-1" ||
				!reflect.DeepEqual(info1["groups"], []any{"Research"}) {
				t.Errorf("userinfo of the corp-1 session = %v", info1)
			}
			if dt2["corp_id"] != "ding-corp-2" || dt2["user_id"] != "user-2" || info2["name"] != "Ada (Two)" ||
				info2["phone_number"] != "+8613900000000" || info2["phone_number_verified"] != true {
				t.Errorf("userinfo of the corp-2 session = %v", info2)
			}

			// The ID token carries no scope claims without ClaimsInIDToken.
			var idClaims map[string]any
			decodeJWTPayload(t, tok1["id_token"].(string), &idClaims)
			for _, k := range []string{"name", "email", "groups", "dingtalk"} {
				if _, ok := idClaims[k]; ok {
					t.Errorf("id token has %s without ClaimsInIDToken: %v", k, idClaims)
				}
			}

			// Session 1 gone: the most recently used binding (corp 2).
			if err := e.store.DeleteSession(t.Context(), tok1["session_state"].(string)); err != nil {
				t.Fatal(err)
			}
			info1 = userinfo(t, e, tok1["access_token"].(string))
			if dt, _ := info1["dingtalk"].(map[string]any); dt["corp_id"] != "ding-corp-2" {
				t.Errorf("userinfo after the session ended = %v, want the latest binding", info1)
			}
		})
	}
}

// TestClaimsInIDToken checks that ClaimsInIDToken puts the released claims
// in the ID token, and that discovery lists scopes and claims.
func TestClaimsInIDToken(t *testing.T) {
	e := newEnv(t, newSQLite(t))
	e.auth.identity.Profile.Admin = true
	c := e.addClient("grafana", func(c *storage.Client) {
		c.Policy.ClaimsInIDToken = true
		c.Policy.AlwaysRelease = []string{"groups"}
	})
	q := e.login(t, newBrowser(t), c, url.Values{"scope": {"openid profile email"}})
	status, tok := e.exchange(t, c, true, q.Get("code"), "")
	if status != http.StatusOK {
		t.Fatalf("exchange: %d %v", status, tok)
	}
	var claims map[string]any
	decodeJWTPayload(t, tok["id_token"].(string), &claims)
	if claims["email"] != "ada@corp.example" || claims["name"] != "Ada" || !reflect.DeepEqual(claims["roles"], []any{"admin"}) || claims["sid"] == nil {
		t.Errorf("id token claims = %v", claims)
	}

	resp := visit(t, newBrowser(t), e.issuer+"/.well-known/openid-configuration")
	var meta struct {
		Scopes []string `json:"scopes_supported"`
		Claims []string `json:"claims_supported"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&meta); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"openid", "profile", "email", "phone", "groups", "offline_access", "dingtalk"} {
		if !slices.Contains(meta.Scopes, s) {
			t.Errorf("scopes_supported lacks %s: %v", s, meta.Scopes)
		}
	}
	for _, cl := range []string{"preferred_username", "groups", "roles", "dingtalk", "phone_number_verified", "sid"} {
		if !slices.Contains(meta.Claims, cl) {
			t.Errorf("claims_supported lacks %s: %v", cl, meta.Claims)
		}
	}
}

// decodeJWTPayload decodes a JWT's payload without verifying it (the
// tests that need verification use go-oidc).
func decodeJWTPayload(t *testing.T, jwt string, v any) {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatal(err)
	}
}

// TestUserinfoReads checks what /userinfo reads from storage: one read
// (GetAccessTokenUser) for a person's token, which shows the binding of
// the session's corp while the session lives and the latest binding once
// it is gone; a revoked token, or one without a person (client
// credentials), falls back to reading the token alone, which decides the
// error.
func TestUserinfoReads(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b.open(t))
			c := e.addClient("app", func(c *storage.Client) { c.Policy.ClaimsInIDToken = false })
			svc := e.addClient("svc", func(c *storage.Client) {
				c.GrantTypes = []string{grantClientCredentials}
				c.RedirectURIs, c.PostLogoutRedirectURIs = nil, nil
			})
			scope := url.Values{"scope": {"openid profile dingtalk"}}
			q := e.login(t, newBrowser(t), c, scope)
			_, tok1 := e.exchange(t, c, true, q.Get("code"), "")
			e.clock.Advance(time.Second)
			e.auth.identity.CorpID, e.auth.identity.UserID = "ding-corp-2", "user-2"
			q = e.login(t, newBrowser(t), c, scope)
			_, tok2 := e.exchange(t, c, true, q.Get("code"), "")

			wantReads := func(what string, want ...string) {
				t.Helper()
				if got := e.store.resetReads(); !slices.Equal(got, want) {
					t.Errorf("%s: reads %v, want %v", what, got, want)
				}
			}
			corpOf := func(info map[string]any) any {
				dt, _ := info["dingtalk"].(map[string]any)
				return dt["corp_id"]
			}
			e.store.resetReads()
			if corp := corpOf(userinfo(t, e, tok1["access_token"].(string))); corp != "ding-corp-1" {
				t.Errorf("userinfo in the corp-1 session: corp %v, want ding-corp-1", corp)
			}
			wantReads("userinfo in a live session", "GetAccessTokenUser")

			if err := e.store.DeleteSession(t.Context(), tok1["session_state"].(string)); err != nil {
				t.Fatal(err)
			}
			e.store.resetReads()
			if corp := corpOf(userinfo(t, e, tok1["access_token"].(string))); corp != "ding-corp-2" {
				t.Errorf("userinfo after the session ended: corp %v, want the latest binding's ding-corp-2", corp)
			}
			wantReads("userinfo after the session ended", "GetAccessTokenUser")

			status := func(token string) int {
				t.Helper()
				req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.issuer+"/userinfo", nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			_, cc := e.rawPost(t, http.MethodPost, "/oauth/token", svc.ID, svc.secret, url.Values{"grant_type": {"client_credentials"}})
			e.store.resetReads()
			if got := status(cc["access_token"].(string)); got != http.StatusForbidden {
				t.Errorf("userinfo with a client credentials token: %d, want 403", got)
			}
			wantReads("userinfo with a client credentials token", "GetAccessTokenUser", "GetAccessToken")

			access2 := tok2["access_token"].(string)
			if resp, _ := e.rawPost(t, http.MethodPost, "/oauth/revoke", c.ID, c.secret, url.Values{
				"token": {access2}, "token_type_hint": {"access_token"},
			}); resp.StatusCode != http.StatusOK {
				t.Fatalf("revoke: %d", resp.StatusCode)
			}
			e.store.resetReads()
			if got := status(access2); got != http.StatusUnauthorized {
				t.Errorf("userinfo with a revoked token: %d, want 401", got)
			}
			wantReads("userinfo with a revoked token", "GetAccessTokenUser", "GetAccessToken")
		})
	}
}

func TestPickBinding(t *testing.T) {
	at := func(min int) time.Time { return time.Date(2025, 1, 1, 0, min, 0, 0, time.UTC) }
	a := storage.Binding{CorpID: "corp-a", LastLoginAt: at(1)}
	b := storage.Binding{CorpID: "corp-b", LastLoginAt: at(3)}
	none := storage.Binding{CorpID: "", UnionID: "u", LastLoginAt: at(2)}
	for _, tt := range []struct {
		name     string
		bindings []storage.Binding
		found    bool
		corp     string
		want     string // CorpID of the pick; "-" for nil
	}{
		{"no binding", nil, true, "corp-a", "-"},
		{"only binding, another corp's session", []storage.Binding{a}, true, "corp-b", "corp-a"},
		{"only binding, no session", []storage.Binding{a}, false, "", "corp-a"},
		{"session corp", []storage.Binding{a, b}, true, "corp-a", "corp-a"},
		{"no session: latest", []storage.Binding{a, b}, false, "", "corp-b"},
		{"session of a corp without binding: latest", []storage.Binding{a, none}, true, "corp-z", ""},
		{"live session without corp: the binding without corp", []storage.Binding{none, b}, true, "", ""},
		{"no session: the binding without corp is not matched", []storage.Binding{none, b}, false, "", "corp-b"},
		{"no session and no corp: latest", []storage.Binding{a, b, none}, false, "", "corp-b"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := pickBinding(tt.bindings, tt.found, tt.corp)
			switch {
			case tt.want == "-" && got != nil:
				t.Errorf("pickBinding = %+v, want nil", got)
			case tt.want != "-" && (got == nil || got.CorpID != tt.want):
				t.Errorf("pickBinding = %+v, want the binding of %q", got, tt.want)
			}
		})
	}
}
