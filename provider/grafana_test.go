package provider

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmespath/go-jmespath"
	"golang.org/x/oauth2"

	"github.com/dingbridge/dingbridge/storage"
)

// Grafana [auth.generic_oauth] settings this test proves; docs/grafana.md
// uses the same values.
const (
	grafanaScopes              = "openid profile email groups offline_access"
	grafanaEmailAttributePath  = "email"
	grafanaLoginAttributePath  = "preferred_username"
	grafanaNameAttributePath   = "name"
	grafanaGroupsAttributePath = "groups"
	grafanaRoleFromGroups      = "contains(groups[*], '研发部') && 'Editor' || 'Viewer'"
	grafanaRoleFromRoles       = "contains(roles[*], 'admin') && 'Admin' || 'Viewer'"
	grafanaRoleCombined        = "contains(roles[*], 'admin') && 'Admin' || contains(groups[*], '研发部') && 'Editor' || 'Viewer'"
	grafanaAllowedGroup        = "研发部"
)

// tokenRequests records how the token endpoint was called.
type tokenRequests struct {
	mu   sync.Mutex
	seen []url.Values // form of each token request, plus "authorization" when a header was sent
}

func (tr *tokenRequests) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/oauth/token") && r.Body != nil {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		form, _ := url.ParseQuery(string(body))
		if h := r.Header.Get("Authorization"); h != "" {
			form.Set("authorization", h)
		}
		tr.mu.Lock()
		tr.seen = append(tr.seen, form)
		tr.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(r)
}

// grafanaUser is what Grafana's generic_oauth makes of a login.
type grafanaUser struct {
	email, login, name string
	groups             []string
	roles              map[string]string // expression → role
}

// grafanaSearch evaluates a JMESPath expression the way generic_oauth
// does: against the ID token's claims first, then the userinfo
// document; the first non-empty string wins, errors fall through.
func grafanaSearch(t *testing.T, expr string, sources ...map[string]any) string {
	t.Helper()
	for _, src := range sources {
		v, err := jmespath.Search(expr, src)
		if s, ok := v.(string); err == nil && ok && s != "" {
			return s
		}
	}
	return ""
}

// grafanaSearchArray evaluates a groups expression the same way; the
// result must be a JSON array of strings.
func grafanaSearchArray(t *testing.T, expr string, sources ...map[string]any) []string {
	t.Helper()
	for _, src := range sources {
		v, err := jmespath.Search(expr, src)
		arr, ok := v.([]any)
		if err != nil || !ok {
			continue
		}
		out := []string{}
		for _, g := range arr {
			s, ok := g.(string)
			if !ok {
				t.Errorf("%s yields a non-string element %#v", expr, g)
				continue
			}
			out = append(out, s)
		}
		return out
	}
	return nil
}

// grafanaLogin runs Grafana's generic_oauth login: x/oauth2 with
// client_secret_post (AuthStyleInParams) and PKCE, access_type=offline
// (use_refresh_token), the ID token's payload read without verification,
// and the userinfo document from api_url.
func grafanaLogin(ctx context.Context, t *testing.T, e *env, conf *oauth2.Config) (grafanaUser, *oauth2.Token) {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	state := "grafana-" + randomString(8)
	q := rpRedirect(t, visit(t, newBrowser(t), conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oauth2.AccessTypeOffline)))
	if q.Get("state") != state || q.Get("code") == "" {
		t.Fatalf("authorization response = %v", q)
	}
	tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	parts := strings.Split(rawID, ".")
	if len(parts) != 3 {
		t.Fatalf("id_token = %q", rawID)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var idClaims map[string]any
	if err := json.Unmarshal(payload, &idClaims); err != nil {
		t.Fatal(err)
	}

	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.issuer+"/userinfo", nil)
	req.Header.Set("Accept", "application/json")
	resp, err := conf.Client(ctx, tok).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info map[string]any
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&info) != nil {
		t.Fatalf("userinfo: status %d", resp.StatusCode)
	}
	if info["sub"] != idClaims["sub"] {
		t.Errorf("userinfo sub %v, ID token sub %v", info["sub"], idClaims["sub"])
	}

	u := grafanaUser{
		email:  grafanaSearch(t, grafanaEmailAttributePath, idClaims, info),
		login:  grafanaSearch(t, grafanaLoginAttributePath, idClaims, info),
		name:   grafanaSearch(t, grafanaNameAttributePath, idClaims, info),
		groups: grafanaSearchArray(t, grafanaGroupsAttributePath, idClaims, info),
		roles:  map[string]string{},
	}
	for _, expr := range []string{grafanaRoleFromGroups, grafanaRoleFromRoles, grafanaRoleCombined} {
		u.roles[expr] = grafanaSearch(t, expr, idClaims, info)
	}
	return u, tok
}

// TestGrafanaGenericOAuth logs two people in as Grafana's generic_oauth
// connector would and checks the guide's attribute paths, role
// expressions, allowed_groups and refresh.
func TestGrafanaGenericOAuth(t *testing.T) {
	e := newEnv(t, newSQLite(t))
	redirect := "https://" + rpHost + "/login/generic_oauth"
	c := e.addClient("grafana", func(c *storage.Client) { c.RedirectURIs = []string{redirect} })
	recorder := &tokenRequests{}
	ctx := context.WithValue(t.Context(), oauth2.HTTPClient, &http.Client{Transport: recorder})
	conf := &oauth2.Config{
		ClientID:     c.ID,
		ClientSecret: c.secret,
		Endpoint: oauth2.Endpoint{
			AuthURL:   e.issuer + "/authorize",
			TokenURL:  e.issuer + "/oauth/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: redirect,
		Scopes:      strings.Fields(grafanaScopes),
	}

	people := []struct {
		name     string
		profile  storage.Profile
		want     grafanaUser
		admitted bool
	}{
		{
			name: "corp admin in 研发部",
			profile: storage.Profile{Name: "Ada", Nick: "ada", JobNumber: "E001", OrgEmail: "ada@corp.example", Active: true, Admin: true,
				Departments: []storage.Department{{ID: 42, Name: "研发部"}, {ID: 7, Name: "架构组"}}},
			want: grafanaUser{email: "ada@corp.example", login: "E001", name: "Ada", groups: []string{"研发部", "架构组"}, roles: map[string]string{
				grafanaRoleFromGroups: "Editor", grafanaRoleFromRoles: "Admin", grafanaRoleCombined: "Admin"}},
			admitted: true,
		},
		{
			name: "member of 销售部 without roles",
			profile: storage.Profile{Name: "Bo", Nick: "bo", OrgEmail: "bo@corp.example", Active: true,
				Departments: []storage.Department{{ID: 9, Name: "销售部"}}},
			want: grafanaUser{email: "bo@corp.example", login: "user-bo", name: "Bo", groups: []string{"销售部"}, roles: map[string]string{
				grafanaRoleFromGroups: "Viewer", grafanaRoleFromRoles: "Viewer", grafanaRoleCombined: "Viewer"}},
		},
	}
	for _, p := range people {
		t.Run(p.name, func(t *testing.T) {
			userID := "user-" + strings.ToLower(p.profile.Nick)
			e.auth.identity = storage.Identity{CorpID: "ding-corp-1", UserID: userID, UnionID: "union-" + userID, Profile: p.profile}
			got, tok := grafanaLogin(ctx, t, e, conf)
			if got.email != p.want.email || got.login != p.want.login || got.name != p.want.name {
				t.Errorf("email/login/name = %q/%q/%q, want %q/%q/%q", got.email, got.login, got.name, p.want.email, p.want.login, p.want.name)
			}
			if strings.Join(got.groups, ",") != strings.Join(p.want.groups, ",") {
				t.Errorf("groups = %q, want %q", got.groups, p.want.groups)
			}
			for expr, want := range p.want.roles {
				if got.roles[expr] != want {
					t.Errorf("role_attribute_path %s = %q, want %q", expr, got.roles[expr], want)
				}
			}
			admitted := false
			for _, g := range got.groups {
				admitted = admitted || g == grafanaAllowedGroup
			}
			if admitted != p.admitted {
				t.Errorf("allowed_groups = %s admits: %v, want %v", grafanaAllowedGroup, admitted, p.admitted)
			}

			// use_refresh_token: an expired token is refreshed through the
			// same client_secret_post authentication.
			tok.Expiry = time.Now().Add(-time.Minute)
			fresh, err := conf.TokenSource(ctx, tok).Token()
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			if fresh.AccessToken == tok.AccessToken || fresh.TokenType != "Bearer" {
				t.Errorf("refreshed token type %q, new access token: %v", fresh.TokenType, fresh.AccessToken != tok.AccessToken)
			}
		})
	}

	recorder.mu.Lock()
	defer recorder.mu.Unlock()
	if len(recorder.seen) != 2*len(people) {
		t.Fatalf("saw %d token requests, want %d", len(recorder.seen), 2*len(people))
	}
	for _, form := range recorder.seen {
		if form.Get("authorization") != "" || form.Get("client_id") != c.ID || form.Get("client_secret") == "" {
			t.Errorf("token request authenticated by header %v / form client_id %q, want client_secret_post",
				form.Get("authorization") != "", form.Get("client_id"))
		}
		if form.Get("grant_type") == "authorization_code" && form.Get("code_verifier") == "" {
			t.Error("code grant without code_verifier: PKCE not used")
		}
	}
}
