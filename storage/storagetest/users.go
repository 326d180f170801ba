package storagetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

var userTests = []test{
	{"CreateGet", testUserCreateGet},
	{"CreateDuplicate", testUserDuplicate},
	{"GetMissing", testUserMissing},
	{"ListBindingsOrderedByCorp", testListBindings},
	{"FindBindingRules", testFindBinding},
}

func testUserCreateGet(t *testing.T, s storage.Storage) {
	now := wallNow()
	u := storage.User{Subject: "sub-1", CreatedAt: local(now), UpdatedAt: local(now.Add(time.Second)), Profile: newProfile("ada")}
	must(t, "CreateUser", s.CreateUser(t.Context(), u))
	got, err := s.GetUser(t.Context(), "sub-1")
	must(t, "GetUser", err)
	same(t, "GetUser", got, u)

	bare := storage.User{Subject: "sub-2", CreatedAt: local(now), UpdatedAt: local(now)}
	must(t, "CreateUser without profile", s.CreateUser(t.Context(), bare))
	got, err = s.GetUser(t.Context(), "sub-2")
	must(t, "GetUser", err)
	same(t, "GetUser without profile", got, bare)
	bindings, err := s.ListBindings(t.Context(), "sub-2")
	must(t, "ListBindings", err)
	if len(bindings) != 0 {
		t.Errorf("ListBindings of user without logins = %d, want 0", len(bindings))
	}
}

func testUserDuplicate(t *testing.T, s storage.Storage) {
	now := wallNow()
	u := storage.User{Subject: "sub-1", CreatedAt: local(now), UpdatedAt: local(now)}
	must(t, "CreateUser", s.CreateUser(t.Context(), u))
	wantErr(t, "CreateUser duplicate", s.CreateUser(t.Context(), u), storage.ErrAlreadyExists)
}

func testUserMissing(t *testing.T, s storage.Storage) {
	_, err := s.GetUser(t.Context(), "nobody")
	wantErr(t, "GetUser", err, storage.ErrNotFound)
}

// loginAs completes a login without authorization request for id.
func loginAs(t *testing.T, s storage.Storage, id *storage.Identity, newSubject string, now time.Time) storage.User {
	t.Helper()
	u, _, err := s.CompleteLogin(t.Context(), storage.LoginCompletion{
		Identity: id, NewSubject: newSubject, Session: newSession("sess-"+newSubject, now), Now: local(now),
	})
	must(t, "CompleteLogin", err)
	return u
}

func testListBindings(t *testing.T, s storage.Storage) {
	now := wallNow()
	for i, corp := range []string{"ding-corp-c", "ding-corp-a", "ding-corp-b"} {
		loginAs(t, s, newIdentity(corp, "uid-"+corp, "union-1", "ada"), "sub-1", now.Add(time.Duration(i)*time.Minute))
	}
	loginAs(t, s, newIdentity("ding-corp-a", "uid-other", "union-2", "bob"), "sub-2", now)
	got, err := s.ListBindings(t.Context(), "sub-1")
	must(t, "ListBindings", err)
	var corps []string
	for _, b := range got {
		corps = append(corps, b.CorpID)
		if b.Subject != "sub-1" || b.UnionID != "union-1" {
			t.Errorf("binding %+v does not belong to sub-1/union-1", b)
		}
	}
	same(t, "ListBindings corps", corps, []string{"ding-corp-a", "ding-corp-b", "ding-corp-c"})
	got, err = s.ListBindings(t.Context(), "nobody")
	must(t, "ListBindings unknown subject", err)
	if len(got) != 0 {
		t.Errorf("ListBindings unknown subject = %d, want 0", len(got))
	}
}

func testFindBinding(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	loginAs(t, s, newIdentity("ding-corp-a", "uid-a", "union-1", "ada"), "sub-1", now)
	loginAs(t, s, newIdentity("ding-corp-b", "uid-b", "union-1", "ada"), "sub-unused", now.Add(time.Hour))
	loginAs(t, s, newIdentity("ding-corp-a", "uid-z", "union-2", "zed"), "sub-2", now)

	find := func(what string, id storage.Identity, corp, user string) {
		t.Helper()
		b, err := s.FindBinding(ctx, id)
		if err != nil {
			t.Errorf("FindBinding %s: %v", what, err)
			return
		}
		checkTimes(t, "FindBinding", reflect.ValueOf(b))
		if b.CorpID != corp || b.UserID != user {
			t.Errorf("FindBinding %s = %s/%s, want %s/%s", what, b.CorpID, b.UserID, corp, user)
		}
	}
	find("by corp and user", storage.Identity{CorpID: "ding-corp-a", UserID: "uid-a"}, "ding-corp-a", "uid-a")
	find("corp and user win over UnionID", storage.Identity{CorpID: "ding-corp-a", UserID: "uid-a", UnionID: "union-2"}, "ding-corp-a", "uid-a")
	find("by UnionID, most recent login", storage.Identity{UnionID: "union-1"}, "ding-corp-b", "uid-b")

	_, err := s.FindBinding(ctx, storage.Identity{CorpID: "ding-corp-a", UserID: "uid-unknown", UnionID: "union-1"})
	wantErr(t, "FindBinding unknown corp user with known UnionID", err, storage.ErrNotFound)
	_, err = s.FindBinding(ctx, storage.Identity{UnionID: "union-unknown"})
	wantErr(t, "FindBinding unknown UnionID", err, storage.ErrNotFound)
	_, err = s.FindBinding(ctx, storage.Identity{CorpID: "ding-corp-b", UserID: "uid-a"})
	wantErr(t, "FindBinding user of another corp", err, storage.ErrNotFound)
	_, err = s.FindBinding(ctx, storage.Identity{})
	wantErr(t, "FindBinding empty identity", err, storage.ErrNotFound)

	// A newer login in the first corp makes its binding the most recent.
	loginAs(t, s, newIdentity("ding-corp-a", "uid-a", "union-1", "ada"), "sub-unused", now.Add(2*time.Hour))
	find("by UnionID after newer login", storage.Identity{UnionID: "union-1"}, "ding-corp-a", "uid-a")
}
