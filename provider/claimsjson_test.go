package provider

import (
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/dingbridge/dingbridge/storage"
)

// decodeObject decodes a JSON object for comparison.
func decodeObject(t *testing.T, what string, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v in %s", what, err, b)
	}
	return m
}

// The spliced encodings are the same objects as oidc's own, extra claims,
// HTML characters and name clashes included.
func TestClaimsJSONEqualsOIDC(t *testing.T) {
	profile := func(u *oidc.UserInfo) {
		u.Name, u.Nickname, u.PreferredUsername = "王小明 <b>&", "xiaoming", "E1024"
		u.Picture, u.UpdatedAt = "https://static.example/a.png?x=1&y=2", oidc.FromTime(time.Unix(1763000000, 0))
		u.Locale = oidc.NewLocale(language.SimplifiedChinese)
		u.Email, u.EmailVerified = "xm@corp.example", true
	}
	extras := map[string]any{
		"groups":   []string{"杭州云桥科技有限公司/研发部/后端组", "</script>"},
		"roles":    []string{},
		"dingtalk": map[string]any{"corp_id": "ding6f3c1e9a", "user_id": "manager4220", "admin": true, "dept_ids": []int64{42, 77}},
	}
	infos := map[string]func() *oidc.UserInfo{
		"empty":        func() *oidc.UserInfo { return &oidc.UserInfo{} },
		"subject only": func() *oidc.UserInfo { return &oidc.UserInfo{Subject: "sub-1"} },
		"fields": func() *oidc.UserInfo {
			u := &oidc.UserInfo{Subject: "sub-1"}
			profile(u)
			return u
		},
		"extras only": func() *oidc.UserInfo { return &oidc.UserInfo{Claims: extras} },
		"fields and extras": func() *oidc.UserInfo {
			u := &oidc.UserInfo{Subject: "sub-1", Claims: extras}
			profile(u)
			return u
		},
		"extra named as a set field": func() *oidc.UserInfo {
			u := &oidc.UserInfo{Subject: "sub-1", Claims: map[string]any{"email": "other@example.com", "groups": []string{"g"}}}
			profile(u)
			return u
		},
		"extra named as an unset field": func() *oidc.UserInfo {
			return &oidc.UserInfo{Subject: "sub-1", Claims: map[string]any{"email_verified": false, "phone_number": "+86 138"}}
		},
		"empty extras": func() *oidc.UserInfo { return &oidc.UserInfo{Subject: "sub-1", Claims: map[string]any{}} },
	}
	for name, mk := range infos {
		t.Run("userinfo/"+name, func(t *testing.T) {
			want, err := json.Marshal(mk())
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(userInfoJSON{mk()})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(decodeObject(t, "ours", got), decodeObject(t, "oidc's", want)) {
				t.Errorf("userinfo JSON\n got %s\nwant %s", got, want)
			}
		})
	}

	idTokens := map[string]func() *oidc.IDTokenClaims{
		"sid as an extra": func() *oidc.IDTokenClaims {
			c := oidc.NewIDTokenClaims("https://id.example.com", "sub-1", []string{"grafana"},
				time.Unix(1763003600, 0), time.Unix(1763000000, 0), "n-<1>", "", []string{"qr"}, "grafana", 0)
			c.AccessTokenHash = "77QmUPtjPfzWtF2AnpK9RQ"
			c.Claims = map[string]any{"sid": "sess-1"}
			return c
		},
		"sid as a field, userinfo claims": func() *oidc.IDTokenClaims {
			c := oidc.NewIDTokenClaims("https://id.example.com", "sub-1", []string{"grafana"},
				time.Unix(1763003600, 0), time.Unix(1763000000, 0), "", "", nil, "grafana", 0)
			u := &oidc.UserInfo{Subject: "sub-1", Claims: extras}
			profile(u)
			c.SetUserInfo(u)
			c.SessionID = "sess-1"
			return c
		},
	}
	for name, mk := range idTokens {
		t.Run("id token/"+name, func(t *testing.T) {
			want, err := json.Marshal(mk())
			if err != nil {
				t.Fatal(err)
			}
			got, err := marshalIDToken(mk())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(decodeObject(t, "ours", got), decodeObject(t, "oidc's", want)) {
				t.Errorf("ID token JSON\n got %s\nwant %s", got, want)
			}
		})
	}
}

// jwtPayload decodes a JWS's payload without verifying it.
func jwtPayload(t *testing.T, jws string) map[string]any {
	t.Helper()
	var m map[string]any
	decodeJWTPayload(t, jws, &m)
	return m
}

// sameClaimsButTimes compares two ID tokens' claims, iat and exp within a
// second (each was stamped with the wall clock when it was made).
func sameClaimsButTimes(t *testing.T, what string, got, want map[string]any) {
	t.Helper()
	for _, k := range []string{"iat", "exp"} {
		g, _ := got[k].(float64)
		w, _ := want[k].(float64)
		if g == 0 || math.Abs(g-w) > 1 {
			t.Errorf("%s: %s = %v, want %v", what, k, got[k], want[k])
		}
		delete(got, k)
		delete(want, k)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

// Provider.idToken gives the ID token op.CreateIDToken gives, for code
// and refresh requests, with and without the scopes' claims in it.
func TestIDTokenEqualsOp(t *testing.T) {
	e := newEnv(t, newSQLite(t))
	e.auth.identity.Profile.Admin = true
	plain := e.addClient("plain", nil)
	inToken := e.addClient("claims", func(c *storage.Client) {
		c.Policy.ClaimsInIDToken = true
		c.Policy.AlwaysRelease = []string{"groups"}
	})
	q := e.login(t, newBrowser(t), plain, url.Values{"scope": {"openid profile email"}})
	status, tok := e.exchange(t, plain, true, q.Get("code"), "")
	if status != http.StatusOK {
		t.Fatalf("exchange: %d %v", status, tok)
	}
	first := jwtClaims(t, tok, "id_token")
	sub, sid := first["sub"].(string), first["sid"].(string)
	if sub == "" || sid == "" {
		t.Fatalf("first ID token has no sub or sid: %v", first)
	}
	authTime := time.Now().Add(-time.Minute).Truncate(time.Second)
	for _, tc := range []struct {
		name   string
		client testClient
		req    op.IDTokenRequest
		access string
		code   string
	}{
		{"code, plain", plain, &authRequest{r: storage.AuthRequest{ID: "r1", ClientID: plain.ID, Subject: sub,
			Scopes: []string{"openid", "profile", "email"}, Nonce: "n-1", AuthTime: authTime, AMR: []string{"qr"}, SessionID: sid}},
			"at-opaque-1", "code-1"},
		{"code, claims in the ID token", inToken, &authRequest{r: storage.AuthRequest{ID: "r2", ClientID: inToken.ID, Subject: sub,
			Scopes: []string{"openid", "profile", "email"}, Nonce: "n-2", AuthTime: authTime, AMR: []string{"qr"}, SessionID: sid}},
			"at-opaque-2", "code-2"},
		{"code without a session", plain, &authRequest{r: storage.AuthRequest{ID: "r3", ClientID: plain.ID, Subject: sub,
			Scopes: []string{"openid"}, AuthTime: authTime}}, "at-opaque-3", "code-3"},
		{"code without openid", plain, &authRequest{r: storage.AuthRequest{ID: "r4", ClientID: plain.ID, Subject: sub,
			AuthTime: authTime, SessionID: sid}}, "at-opaque-4", "code-4"},
		{"refresh", inToken, &refreshRequest{t: storage.RefreshToken{ClientID: inToken.ID, Subject: sub, Audience: []string{inToken.ID},
			AuthTime: authTime, AMR: []string{"qr"}, SessionID: sid}, scopes: []string{"openid", "email", "offline_access"}},
			"at-opaque-5", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := e.p.getClient(t.Context(), tc.client.ID)
			if err != nil {
				t.Fatal(err)
			}
			ctx := op.ContextWithIssuer(t.Context(), e.issuer)
			got, err := e.p.idToken(ctx, tc.req, c, tc.access, tc.code)
			if err != nil {
				t.Fatal(err)
			}
			want, err := op.CreateIDToken(ctx, e.issuer, tc.req, c.IDTokenLifetime(), tc.access, tc.code, e.p.op.Storage(), c)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Count(got, ".") != 2 {
				t.Fatalf("ID token %q is not a compact JWS", got)
			}
			sameClaimsButTimes(t, tc.name, jwtPayload(t, got), jwtPayload(t, want))
		})
	}
}
