package resolve

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk"
	"github.com/dingbridge/dingbridge/storage"
)

// tokenStore is a dingtalk.TokenStore over the storage cache table. Values
// are sealed with AES-256-GCM: a random 12-byte nonce followed by the
// ciphertext, the cache key as additional data, so a row copied under
// another key does not open.
type tokenStore struct {
	store storage.Storage
	aead  cipher.AEAD
}

var _ dingtalk.TokenStore = (*tokenStore)(nil)

// NewTokenStore returns a dingtalk.TokenStore that keeps DingTalk access
// tokens in the storage cache table, shared by every replica on the same
// database. Keys are dingtalk's token names, which contain no secrets;
// values are encrypted with AES-256-GCM under key, which must be 32 bytes
// (a shorter or longer key is a programmer error and panics).
func NewTokenStore(store storage.Storage, key []byte) dingtalk.TokenStore {
	if len(key) != 32 {
		panic(fmt.Sprintf("resolve: NewTokenStore: key must be 32 bytes, got %d", len(key)))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("resolve: NewTokenStore: " + err.Error())
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic("resolve: NewTokenStore: " + err.Error())
	}
	return &tokenStore{store: store, aead: aead}
}

// GetToken implements dingtalk.TokenStore. Expired rows are not found.
// A row that does not decrypt (another key, tampering) is reported as an
// error, so the client fetches a fresh token and overwrites it.
func (s *tokenStore) GetToken(ctx context.Context, key string) (string, time.Time, error) {
	e, err := s.store.GetCache(ctx, key, time.Now())
	if errors.Is(err, storage.ErrNotFound) {
		return "", time.Time{}, dingtalk.ErrTokenNotFound
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("load token: %w", err)
	}
	n := s.aead.NonceSize()
	if len(e.Value) < n+s.aead.Overhead() {
		return "", time.Time{}, errors.New("load token: stored value is too short")
	}
	plain, err := s.aead.Open(nil, e.Value[:n], e.Value[n:], []byte(key))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("load token: decrypt: %w", err)
	}
	return string(plain), e.ExpiresAt, nil
}

// PutToken implements dingtalk.TokenStore.
func (s *tokenStore) PutToken(ctx context.Context, key, token string, expiresAt time.Time) error {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(token)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return fmt.Errorf("store token: nonce: %w", err)
	}
	sealed := s.aead.Seal(nonce, nonce, []byte(token), []byte(key))
	if err := s.store.PutCache(ctx, storage.CacheEntry{Key: key, Value: sealed, ExpiresAt: expiresAt}); err != nil {
		return fmt.Errorf("store token: %w", err)
	}
	return nil
}

// DeleteToken implements dingtalk.TokenStore.
func (s *tokenStore) DeleteToken(ctx context.Context, key string) error {
	if err := s.store.DeleteCache(ctx, key); err != nil {
		return fmt.Errorf("delete token: %w", err)
	}
	return nil
}
