package storagetest

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

// shanghai is the non-UTC zone fixtures are built in (UTC+8, no DST).
var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*60*60)
	}
	return loc
}()

// local returns tm in Asia/Shanghai with sub-microsecond noise added, so
// every round trip proves conversion to UTC and truncation to microseconds.
func local(tm time.Time) time.Time {
	return tm.In(shanghai).Add(321 * time.Nanosecond)
}

// utc is what a backend must return for a time written as tm.
func utc(tm time.Time) time.Time {
	return tm.UTC().Truncate(time.Microsecond)
}

// wallNow is the suite's base time. It is the wall clock because
// GetAuthRequest and SaveAuthCode judge expiry by it.
func wallNow() time.Time { return time.Now() }

// hash stands for the SHA-256 digest a caller would pass for a secret.
func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func newClient(id string, now time.Time) storage.Client {
	return storage.Client{
		ID:                     id,
		Name:                   "Client " + id,
		SecretHash:             hash("secret-" + id),
		ApplicationType:        "web",
		RedirectURIs:           []string{"https://rp.example/cb", "https://rp.example/cb2"},
		PostLogoutRedirectURIs: []string{"https://rp.example/bye"},
		GrantTypes:             []string{"authorization_code", "refresh_token"},
		Scopes:                 []string{"openid", "profile", "email"},
		InitiateLoginURI:       "https://rp.example/login",
		BackchannelLogoutURI:   "https://rp.example/bcl",
		AccessTokenFormat:      "jwt",
		AccessTokenTTL:         15 * time.Minute,
		IDTokenTTL:             time.Hour + 500*time.Millisecond,
		RefreshTokenTTL:        30 * 24 * time.Hour,
		RequirePKCE:            true,
		Policy: storage.ClientPolicy{
			AllowedCorps:        []string{"ding-corp-a", "ding-corp-b"},
			MembersOnly:         true,
			RequiredDepartments: []int64{1, 42, 9007199254740993},
			AllowInactive:       true,
			Email:               "org",
			Groups:              "paths",
			GroupsParents:       true,
			ClaimsInIDToken:     true,
		},
		Declarative: true,
		CreatedAt:   local(now),
		UpdatedAt:   local(now.Add(time.Second)),
	}
}

func newAuthRequest(id, clientID string, now time.Time) storage.AuthRequest {
	maxAge := int64(600)
	return storage.AuthRequest{
		ID:                  id,
		ClientID:            clientID,
		RedirectURI:         "https://rp.example/cb",
		Scopes:              []string{"openid", "profile"},
		ResponseType:        "code",
		ResponseMode:        "query",
		State:               "state-" + id,
		Nonce:               "nonce-" + id,
		CodeChallenge:       "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		CodeChallengeMethod: "S256",
		Prompt:              []string{"login", "consent"},
		MaxAge:              &maxAge,
		LoginHint:           "ada",
		IDTokenHintSubject:  "sub-hint",
		UILocales:           []string{"zh-CN", "en"},
		ACRValues:           []string{"urn:acr:1"},
		Params:              map[string]string{"corp_id": "ding-corp-a", "display": "page"},
		CreatedAt:           local(now),
		ExpiresAt:           local(now.Add(10 * time.Minute)),
	}
}

func newAccessToken(id, clientID, familyID, sessionID string, now time.Time) storage.AccessToken {
	return storage.AccessToken{
		ID:        id,
		ClientID:  clientID,
		Subject:   "sub-1",
		Audience:  []string{clientID, "api"},
		Scopes:    []string{"openid", "profile"},
		SessionID: sessionID,
		FamilyID:  familyID,
		AuthTime:  local(now.Add(-time.Minute)),
		AMR:       []string{"dingtalk", "mfa"},
		CreatedAt: local(now),
		ExpiresAt: local(now.Add(time.Hour)),
	}
}

func newRefreshToken(id, familyID, clientID, sessionID string, now time.Time) *storage.RefreshToken {
	return &storage.RefreshToken{
		ID:        id,
		TokenHash: hash("refresh-" + id),
		FamilyID:  familyID,
		ClientID:  clientID,
		Subject:   "sub-1",
		Audience:  []string{clientID},
		Scopes:    []string{"openid", "offline_access"},
		SessionID: sessionID,
		AuthTime:  local(now.Add(-time.Minute)),
		AMR:       []string{"dingtalk"},
		CreatedAt: local(now),
		ExpiresAt: local(now.Add(24 * time.Hour)),
	}
}

func newSession(id string, now time.Time) storage.Session {
	return storage.Session{
		ID:        id,
		AuthTime:  local(now.Add(-time.Minute)),
		AMR:       []string{"dingtalk"},
		CorpID:    "ding-corp-a",
		CreatedAt: local(now),
		ExpiresAt: local(now.Add(8 * time.Hour)),
	}
}

func newSigningKey(id string, generation int64, now time.Time) storage.SigningKey {
	return storage.SigningKey{
		ID:                  id,
		Generation:          generation,
		Algorithm:           "RS256",
		PrivateKeyEncrypted: []byte("\x00\x01encrypted-" + id + "\xff"),
		PublicKeyJWK:        []byte(`{"kty":"RSA","kid":"` + id + `","n":"AQAB","e":"AQAB"}`),
		CreatedAt:           local(now),
		ActivatesAt:         local(now.Add(time.Hour)),
	}
}

func newProfile(name string) storage.Profile {
	hired := time.Date(2020, 3, 1, 0, 0, 0, 0, time.UTC)
	return storage.Profile{
		Name:      name,
		Nick:      "nick-" + name,
		Avatar:    "https://static.dingtalk.example/" + name + ".png",
		Email:     name + "@mail.example",
		OrgEmail:  name + "@corp.example",
		Mobile:    "13800000000",
		StateCode: "86",
		JobNumber: "J-007",
		Title:     "工程师",
		HiredDate: &hired,
		DeptIDs:   []int64{1, 42},
		Departments: []storage.Department{
			{ID: 1, Name: "总部"},
			{ID: 42, Name: "研发部", ParentIDs: []int64{1}, Path: "总部/研发部"},
		},
		Admin:    true,
		SysLevel: 2,
		Active:   true,
		Locale:   "zh_CN",
		CorpName: "示例公司",
	}
}

func newIdentity(corpID, userID, unionID, name string) *storage.Identity {
	return &storage.Identity{CorpID: corpID, UserID: userID, UnionID: unionID, Profile: newProfile(name)}
}

// createClient stores newClient(id) and returns it.
func createClient(t *testing.T, s storage.Storage, id string, now time.Time) storage.Client {
	t.Helper()
	c := newClient(id, now)
	must(t, "CreateClient", s.CreateClient(t.Context(), c))
	return c
}

// createAuthRequest stores a request for a new client and returns it.
func createAuthRequest(t *testing.T, s storage.Storage, id, clientID string, now time.Time) storage.AuthRequest {
	t.Helper()
	r := newAuthRequest(id, clientID, now)
	must(t, "CreateAuthRequest", s.CreateAuthRequest(t.Context(), r))
	return r
}

// login completes the request id (if set) for a new DingTalk identity and
// returns the completion it used.
func login(t *testing.T, s storage.Storage, authRequestID, subject, sessionID string, now time.Time) storage.LoginCompletion {
	t.Helper()
	c := storage.LoginCompletion{
		AuthRequestID: authRequestID,
		Identity:      newIdentity("ding-corp-a", "uid-"+subject, "union-"+subject, subject),
		NewSubject:    subject,
		Session:       newSession(sessionID, now),
		AuthTime:      local(now.Add(-time.Minute)),
		AMR:           []string{"dingtalk"},
		Now:           local(now),
	}
	u, _, err := s.CompleteLogin(t.Context(), c)
	must(t, "CompleteLogin", err)
	if u.Subject != subject {
		t.Fatalf("CompleteLogin subject = %q, want %q", u.Subject, subject)
	}
	return c
}

// codeRequest creates a client and a completed request holding the code
// digest hash(code), and returns the request as stored.
func codeRequest(t *testing.T, s storage.Storage, id, code string, now time.Time) storage.AuthRequest {
	t.Helper()
	createClient(t, s, "client-"+id, now)
	createAuthRequest(t, s, id, "client-"+id, now)
	login(t, s, id, "sub-"+id, "sess-"+id, now)
	must(t, "SaveAuthCode", s.SaveAuthCode(t.Context(), id, hash(code), local(now.Add(time.Minute))))
	r, err := s.GetAuthRequest(t.Context(), id)
	must(t, "GetAuthRequest", err)
	return r
}
