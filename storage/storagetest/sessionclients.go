package storagetest

import (
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

var sessionClientTests = []test{
	{"RecordedWithTokens", testSessionClientsRecorded},
	{"NotRecordedOnFailedIssue", testSessionClientsFailedIssue},
	{"RemovedWithSession", testSessionClientsDeleteSession},
	{"RemovedWithClient", testSessionClientsDeleteClient},
	{"RemovedByDeleteExpired", testSessionClientsGC},
}

func testSessionClientsRecorded(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	// The code request's client, client-r1, and its session sess-r1.
	codeRequest(t, s, "r1", "code-1", now)
	createClient(t, s, "c1", now)
	createClient(t, s, "c2", now)

	// A code redemption links client-r1.
	redeemed := newAccessToken("at-r1", "client-r1", "", "sess-r1", now)
	must(t, "RedeemAuthCode", s.RedeemAuthCode(ctx, hash("code-1"), now, storage.TokenIssue{Access: redeemed, LinkSession: true}))
	// Tokens without a code link c1 once, at the first issue.
	must(t, "CreateTokens", s.CreateTokens(ctx, storage.TokenIssue{Access: newAccessToken("at-c1a", "c1", "", "sess-r1", now), LinkSession: true}))
	must(t, "CreateTokens again", s.CreateTokens(ctx, storage.TokenIssue{Access: newAccessToken("at-c1b", "c1", "", "sess-r1", now.Add(time.Minute))}))
	// A rotation whose access token names the session links c2.
	must(t, "CreateTokens family", s.CreateTokens(ctx, storage.TokenIssue{
		Access:      newAccessToken("at-c2a", "c2", "fam-c2", "", now),
		Refresh:     newRefreshToken("rt-c2a", "fam-c2", "c2", "", now),
		LinkSession: true,
	}))
	must(t, "RotateRefreshToken", s.RotateRefreshToken(ctx, hash("refresh-rt-c2a"), now, storage.TokenIssue{
		Access:      newAccessToken("at-c2b", "c2", "fam-c2", "sess-r1", now),
		Refresh:     newRefreshToken("rt-c2b", "fam-c2", "c2", "", now),
		LinkSession: true,
	}))
	// Tokens without a session link nothing, nor tokens whose issue does
	// not ask for the link, whichever way they are issued.
	must(t, "CreateTokens without session", s.CreateTokens(ctx, storage.TokenIssue{Access: newAccessToken("at-none", "c1", "", "", now), LinkSession: true}))
	createClient(t, s, "c3", now)
	must(t, "CreateTokens unlinked", s.CreateTokens(ctx, storage.TokenIssue{
		Access:  newAccessToken("at-c3a", "c3", "fam-c3", "sess-r1", now),
		Refresh: newRefreshToken("rt-c3a", "fam-c3", "c3", "sess-r1", now),
	}))
	must(t, "RotateRefreshToken unlinked", s.RotateRefreshToken(ctx, hash("refresh-rt-c3a"), now, storage.TokenIssue{
		Access:  newAccessToken("at-c3b", "c3", "fam-c3", "sess-r1", now),
		Refresh: newRefreshToken("rt-c3b", "fam-c3", "c3", "sess-r1", now),
	}))
	codeRequest(t, s, "r2", "code-2", now)
	must(t, "RedeemAuthCode unlinked", s.RedeemAuthCode(ctx, hash("code-2"), now,
		storage.TokenIssue{Access: newAccessToken("at-r2", "client-r2", "", "sess-r1", now)}))

	got, err := s.ListSessionClients(ctx, "sess-r1")
	must(t, "ListSessionClients", err)
	link := func(clientID string) storage.SessionClient {
		return storage.SessionClient{SessionID: "sess-r1", ClientID: clientID, Subject: "sub-1", CreatedAt: local(now)}
	}
	same(t, "ListSessionClients", got, []storage.SessionClient{link("c1"), link("c2"), link("client-r1")})

	got, err = s.ListSessionClients(ctx, "")
	must(t, "ListSessionClients without session", err)
	same(t, "ListSessionClients without session", got, nil)
	got, err = s.ListSessionClients(ctx, "unknown")
	must(t, "ListSessionClients unknown", err)
	same(t, "ListSessionClients unknown", got, nil)
}

func testSessionClientsFailedIssue(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	codeRequest(t, s, "r1", "code-1", now)
	wantErr(t, "RedeemAuthCode wrong code",
		s.RedeemAuthCode(ctx, hash("other"), now, storage.TokenIssue{Access: newAccessToken("at-1", "client-r1", "", "sess-r1", now), LinkSession: true}),
		storage.ErrNotFound)
	must(t, "CreateTokens", s.CreateTokens(ctx, storage.TokenIssue{Access: newAccessToken("at-2", "client-r1", "", "", now), LinkSession: true}))
	// A duplicate access token ID rolls the whole issue back.
	err := s.CreateTokens(ctx, storage.TokenIssue{Access: newAccessToken("at-2", "client-r1", "", "sess-r1", now), LinkSession: true})
	wantErr(t, "CreateTokens duplicate", err, storage.ErrAlreadyExists)
	got, err := s.ListSessionClients(ctx, "sess-r1")
	must(t, "ListSessionClients", err)
	same(t, "ListSessionClients after failed issues", got, nil)
}

func testSessionClientsDeleteSession(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	createClient(t, s, "c1", now)
	login(t, s, "", "sub-1", "sess-1", now)
	login(t, s, "", "sub-2", "sess-2", now)
	must(t, "CreateTokens", s.CreateTokens(ctx, storage.TokenIssue{Access: newAccessToken("at-1", "c1", "", "sess-1", now), LinkSession: true}))
	must(t, "CreateTokens", s.CreateTokens(ctx, storage.TokenIssue{Access: newAccessToken("at-2", "c1", "", "sess-2", now), LinkSession: true}))
	must(t, "DeleteSession", s.DeleteSession(ctx, "sess-1"))
	got, err := s.ListSessionClients(ctx, "sess-1")
	must(t, "ListSessionClients", err)
	same(t, "ListSessionClients of deleted session", got, nil)
	got, err = s.ListSessionClients(ctx, "sess-2")
	must(t, "ListSessionClients other", err)
	if len(got) != 1 || got[0].ClientID != "c1" {
		t.Errorf("ListSessionClients of the other session = %+v, want c1", got)
	}
}

func testSessionClientsDeleteClient(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	createClient(t, s, "gone", now)
	createClient(t, s, "kept", now)
	login(t, s, "", "sub-1", "sess-1", now)
	must(t, "CreateTokens", s.CreateTokens(ctx, storage.TokenIssue{Access: newAccessToken("at-1", "gone", "", "sess-1", now), LinkSession: true}))
	must(t, "CreateTokens", s.CreateTokens(ctx, storage.TokenIssue{Access: newAccessToken("at-2", "kept", "", "sess-1", now), LinkSession: true}))
	must(t, "DeleteClient", s.DeleteClient(ctx, "gone"))
	got, err := s.ListSessionClients(ctx, "sess-1")
	must(t, "ListSessionClients", err)
	if len(got) != 1 || got[0].ClientID != "kept" {
		t.Errorf("ListSessionClients after DeleteClient = %+v, want only kept", got)
	}
}

func testSessionClientsGC(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	now := wallNow()
	createClient(t, s, "c1", now)
	login(t, s, "", "sub-old", "sess-old", now.Add(-10*time.Hour)) // expired 2h ago
	login(t, s, "", "sub-new", "sess-new", now)
	for _, sid := range []string{"sess-old", "sess-new", "sess-never"} {
		must(t, "CreateTokens", s.CreateTokens(ctx, storage.TokenIssue{Access: newAccessToken("at-"+sid, "c1", "", sid, now), LinkSession: true}))
	}
	_, err := s.DeleteExpired(ctx, local(now))
	must(t, "DeleteExpired", err)
	for sid, want := range map[string]int{"sess-old": 0, "sess-never": 0, "sess-new": 1} {
		got, err := s.ListSessionClients(ctx, sid)
		must(t, "ListSessionClients", err)
		if len(got) != want {
			t.Errorf("ListSessionClients(%s) after DeleteExpired = %d links, want %d", sid, len(got), want)
		}
	}
}
