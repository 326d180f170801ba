package postgres_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/storage"
	"github.com/dingbridge/dingbridge/storage/postgres"
	"github.com/dingbridge/dingbridge/storage/postgres/postgrestest"
)

func TestErrorMapping(t *testing.T) {
	s := postgrestest.New(t)
	ctx := t.Context()
	now := time.Now().UTC()

	// A missing parent row (foreign key) is ErrNotFound.
	err := s.CreateAuthRequest(ctx, storage.AuthRequest{ID: "r", ClientID: "ghost", ExpiresAt: now.Add(time.Hour)})
	if !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("CreateAuthRequest for unknown client: err = %v, want ErrNotFound", err)
	}
	err = s.CreateTokens(ctx, storage.TokenIssue{Access: storage.AccessToken{ID: "at", ClientID: "ghost", ExpiresAt: now.Add(time.Hour)}})
	if !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("CreateTokens for unknown client: err = %v, want ErrNotFound", err)
	}

	// Duplicate unique keys other than the primary key are ErrAlreadyExists.
	if err := s.CreateClient(ctx, storage.Client{ID: "c1", ApplicationType: "web"}); err != nil {
		t.Fatal(err)
	}
	rt := func(id string) *storage.RefreshToken {
		return &storage.RefreshToken{ID: id, TokenHash: []byte("same digest"), FamilyID: "f", ClientID: "c1", ExpiresAt: now.Add(time.Hour)}
	}
	if err := s.CreateTokens(ctx, storage.TokenIssue{Access: storage.AccessToken{ID: "at1", ClientID: "c1"}, Refresh: rt("rt1")}); err != nil {
		t.Fatal(err)
	}
	err = s.CreateTokens(ctx, storage.TokenIssue{Access: storage.AccessToken{ID: "at2", ClientID: "c1"}, Refresh: rt("rt2")})
	if !errors.Is(err, storage.ErrAlreadyExists) {
		t.Errorf("CreateTokens with a duplicate token digest: err = %v, want ErrAlreadyExists", err)
	}
	if err != nil && strings.Contains(err.Error(), "same digest") {
		t.Errorf("error %q leaks the token digest", err)
	}
	if _, err := s.GetAccessToken(ctx, "at2", now); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("access token of the refused issue: err = %v, want ErrNotFound", err)
	}
	err = s.CreateSigningKey(ctx, storage.SigningKey{ID: "k1", Generation: 1, PrivateKeyEncrypted: []byte{1}, PublicKeyJWK: []byte("{}")})
	if err != nil {
		t.Fatal(err)
	}
	err = s.CreateSigningKey(ctx, storage.SigningKey{ID: "k2", Generation: 1, PrivateKeyEncrypted: []byte{1}, PublicKeyJWK: []byte("{}")})
	if !errors.Is(err, storage.ErrAlreadyExists) {
		t.Errorf("CreateSigningKey with a taken generation: err = %v, want ErrAlreadyExists", err)
	}
}

func TestOpenRejectsBadURLWithoutEchoingIt(t *testing.T) {
	const secret = "hunter2-password"
	_, err := postgres.Open(t.Context(), "postgres://u:"+secret+"@127.0.0.1:5432/x?sslmode=nonsense", postgres.Options{})
	if err == nil {
		t.Fatal("Open with an invalid URL succeeded")
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("Open error %q contains the password", err)
	}
}
