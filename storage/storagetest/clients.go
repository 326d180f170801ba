package storagetest

import (
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

var clientTests = []test{
	{"CreateGet", testClientCreateGet},
	{"PublicClientRoundTrip", testClientPublic},
	{"CreateDuplicate", testClientCreateDuplicate},
	{"GetMissing", testClientGetMissing},
	{"ListOrderedByID", testClientList},
	{"Update", testClientUpdate},
	{"UpdateMissing", testClientUpdateMissing},
	{"Upsert", testClientUpsert},
	{"Delete", testClientDelete},
	{"DeleteRemovesRequestsAndTokens", testClientDeleteCascades},
	{"WritesForUnknownClientRefused", testClientUnknownRefused},
}

func testClientCreateGet(t *testing.T, s storage.Storage) {
	c := createClient(t, s, "web-app", wallNow())
	got, err := s.GetClient(t.Context(), "web-app")
	must(t, "GetClient", err)
	same(t, "GetClient", got, c)
}

func testClientPublic(t *testing.T, s storage.Storage) {
	c := newClient("spa", wallNow())
	c.SecretHash = nil
	c.Public = true
	c.ApplicationType = "user_agent"
	c.PostLogoutRedirectURIs = nil
	c.Scopes = nil
	c.AccessTokenFormat = ""
	c.AccessTokenTTL, c.IDTokenTTL, c.RefreshTokenTTL = 0, 0, 0
	c.RequirePKCE = false
	c.Policy = storage.ClientPolicy{}
	c.Declarative = false
	must(t, "CreateClient", s.CreateClient(t.Context(), c))
	got, err := s.GetClient(t.Context(), "spa")
	must(t, "GetClient", err)
	same(t, "GetClient", got, c)
	if len(got.SecretHash) != 0 {
		t.Errorf("SecretHash = %x, want empty", got.SecretHash)
	}
}

func testClientCreateDuplicate(t *testing.T, s storage.Storage) {
	now := wallNow()
	createClient(t, s, "dup", now)
	c := newClient("dup", now)
	c.Name = "other"
	wantErr(t, "CreateClient duplicate", s.CreateClient(t.Context(), c), storage.ErrAlreadyExists)
	got, err := s.GetClient(t.Context(), "dup")
	must(t, "GetClient", err)
	if got.Name != "Client dup" {
		t.Errorf("Name = %q after rejected duplicate, want %q", got.Name, "Client dup")
	}
}

func testClientGetMissing(t *testing.T, s storage.Storage) {
	_, err := s.GetClient(t.Context(), "nope")
	wantErr(t, "GetClient", err, storage.ErrNotFound)
}

func testClientList(t *testing.T, s storage.Storage) {
	got, err := s.ListClients(t.Context())
	must(t, "ListClients empty", err)
	if len(got) != 0 {
		t.Errorf("ListClients on empty store = %d clients, want 0", len(got))
	}
	now := wallNow()
	var want []storage.Client
	for _, id := range []string{"b", "c", "a"} {
		createClient(t, s, id, now)
	}
	for _, id := range []string{"a", "b", "c"} {
		want = append(want, newClient(id, now))
	}
	got, err = s.ListClients(t.Context())
	must(t, "ListClients", err)
	same(t, "ListClients", got, want)
}

func testClientUpdate(t *testing.T, s storage.Storage) {
	now := wallNow()
	orig := createClient(t, s, "upd", now)
	c := newClient("upd", now)
	c.Name = "Renamed"
	c.RedirectURIs = []string{"https://new.example/cb"}
	c.GrantTypes = []string{"client_credentials"}
	c.AccessTokenTTL = 5 * time.Minute
	c.Policy = storage.ClientPolicy{AllowedCorps: []string{"ding-corp-z"}, Email: "omit"}
	c.Declarative = false
	c.CreatedAt = local(now.Add(-100 * time.Hour)) // must be ignored
	c.UpdatedAt = local(now.Add(time.Hour))
	must(t, "UpdateClient", s.UpdateClient(t.Context(), c))
	got, err := s.GetClient(t.Context(), "upd")
	must(t, "GetClient", err)
	want := c
	want.CreatedAt = orig.CreatedAt
	same(t, "GetClient after update", got, want)
}

func testClientUpdateMissing(t *testing.T, s storage.Storage) {
	wantErr(t, "UpdateClient", s.UpdateClient(t.Context(), newClient("ghost", wallNow())), storage.ErrNotFound)
	_, err := s.GetClient(t.Context(), "ghost")
	wantErr(t, "GetClient after failed update", err, storage.ErrNotFound)
}

func testClientUpsert(t *testing.T, s storage.Storage) {
	now := wallNow()
	c := newClient("decl", now)
	must(t, "UpsertClient create", s.UpsertClient(t.Context(), c))
	got, err := s.GetClient(t.Context(), "decl")
	must(t, "GetClient", err)
	same(t, "GetClient after create", got, c)

	c.Name = "Replaced"
	c.RedirectURIs = []string{"https://replaced.example/cb"}
	c.Scopes = nil
	c.Policy.AllowedCorps = nil
	c.RequirePKCE = false
	c.UpdatedAt = local(now.Add(time.Hour))
	must(t, "UpsertClient replace", s.UpsertClient(t.Context(), c))
	got, err = s.GetClient(t.Context(), "decl")
	must(t, "GetClient", err)
	want := c
	want.CreatedAt = got.CreatedAt // whether an upsert keeps CreatedAt is the backend's choice
	same(t, "GetClient after replace", got, want)
	list, err := s.ListClients(t.Context())
	must(t, "ListClients", err)
	if len(list) != 1 {
		t.Errorf("ListClients = %d clients, want 1", len(list))
	}
}

func testClientDelete(t *testing.T, s storage.Storage) {
	now := wallNow()
	createClient(t, s, "gone", now)
	createClient(t, s, "kept", now)
	must(t, "DeleteClient", s.DeleteClient(t.Context(), "gone"))
	_, err := s.GetClient(t.Context(), "gone")
	wantErr(t, "GetClient deleted", err, storage.ErrNotFound)
	_, err = s.GetClient(t.Context(), "kept")
	must(t, "GetClient kept", err)
	wantErr(t, "DeleteClient again", s.DeleteClient(t.Context(), "gone"), storage.ErrNotFound)
}

func testClientDeleteCascades(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	createClient(t, s, "gone", now)
	createClient(t, s, "kept", now)
	createAuthRequest(t, s, "req-gone", "gone", now)
	createAuthRequest(t, s, "req-kept", "kept", now)
	for _, id := range []string{"gone", "kept"} {
		must(t, "CreateTokens", s.CreateTokens(ctx, storage.TokenIssue{
			Access:  newAccessToken("at-"+id, id, "fam-"+id, "", now),
			Refresh: newRefreshToken("rt-"+id, "fam-"+id, id, "", now),
		}))
	}
	must(t, "DeleteClient", s.DeleteClient(ctx, "gone"))

	_, err := s.GetAuthRequest(ctx, "req-gone")
	wantErr(t, "GetAuthRequest of deleted client", err, storage.ErrNotFound)
	_, err = s.GetAccessToken(ctx, "at-gone", now)
	wantErr(t, "GetAccessToken of deleted client", err, storage.ErrNotFound)
	_, err = s.GetRefreshToken(ctx, hash("refresh-rt-gone"), now)
	wantErr(t, "GetRefreshToken of deleted client", err, storage.ErrNotFound)

	_, err = s.GetAuthRequest(ctx, "req-kept")
	must(t, "GetAuthRequest of kept client", err)
	_, err = s.GetAccessToken(ctx, "at-kept", now)
	must(t, "GetAccessToken of kept client", err)
	_, err = s.GetRefreshToken(ctx, hash("refresh-rt-kept"), now)
	must(t, "GetRefreshToken of kept client", err)
}

// testClientUnknownRefused issues a request and tokens to a client that
// does not exist, and to one deleted since: each write is ErrNotFound and
// stores nothing.
func testClientUnknownRefused(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	createClient(t, s, "gone", now)
	must(t, "DeleteClient", s.DeleteClient(ctx, "gone"))
	for _, id := range []string{"ghost", "gone"} {
		wantErr(t, "CreateAuthRequest for "+id, s.CreateAuthRequest(ctx, newAuthRequest("req-"+id, id, now)), storage.ErrNotFound)
		_, err := s.GetAuthRequest(ctx, "req-"+id)
		wantErr(t, "GetAuthRequest of "+id, err, storage.ErrNotFound)
		err = s.CreateTokens(ctx, storage.TokenIssue{
			Access:      newAccessToken("at-"+id, id, "fam-"+id, "", now),
			Refresh:     newRefreshToken("rt-"+id, "fam-"+id, id, "", now),
			LinkSession: true,
		})
		wantErr(t, "CreateTokens for "+id, err, storage.ErrNotFound)
		_, err = s.GetAccessToken(ctx, "at-"+id, now)
		wantErr(t, "GetAccessToken of "+id, err, storage.ErrNotFound)
		_, err = s.GetRefreshToken(ctx, hash("refresh-rt-"+id), now)
		wantErr(t, "GetRefreshToken of "+id, err, storage.ErrNotFound)
	}
}
