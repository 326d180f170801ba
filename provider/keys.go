package provider

import (
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/dingbridge/dingbridge/storage"
)

// keyReloadInterval bounds how long a replica may serve a key set without
// looking at storage, so every replica publishes a key another created.
const keyReloadInterval = time.Minute

// KeyConfig configures a KeyManager.
type KeyConfig struct {
	Storage storage.Storage
	// EncryptionKey is the 32-byte AES-256-GCM key private keys are
	// encrypted with at rest.
	EncryptionKey []byte
	// Algorithm is "RS256" (default) or "ES256".
	Algorithm string
	// RotationPeriod is how long a key signs before its successor takes
	// over; default 720h.
	RotationPeriod time.Duration
	// TokenLifetime is the longest lifetime of a token the keys sign. A
	// next key is published at least this long before it signs, and a
	// previous key stays published this long after it stopped signing.
	TokenLifetime time.Duration
	// RSASigner, when set, is given each RSA private key the manager
	// decrypts or creates and returns what signs with it instead of
	// crypto/rsa (cmd passes libcrypto's). A nil signer with a nil error
	// keeps crypto/rsa for that key; an error fails the key's loading.
	RSASigner func(*rsa.PrivateKey) (jose.OpaqueSigner, error)
	// FirstKey, when set, is the key the manager stores when it creates
	// its first key, if the algorithms match; it waits for the key to be
	// ready. Any later key is generated when it is needed.
	FirstKey *KeyGeneration
	Logger   *slog.Logger
	Now      func() time.Time
}

// KeyState is where a key is in its life.
type KeyState string

// Key states.
const (
	// KeyNext is published but does not sign yet.
	KeyNext KeyState = "next"
	// KeyActive signs new tokens.
	KeyActive KeyState = "active"
	// KeyRetiring no longer signs but is published until tokens it
	// signed have expired.
	KeyRetiring KeyState = "retiring"
)

// KeyInfo describes one signing key, without its private part.
type KeyInfo struct {
	ID          string
	Algorithm   string
	Generation  int64
	CreatedAt   time.Time
	ActivatesAt time.Time
	RetiresAt   time.Time
	State       KeyState
}

// KeyManager creates, rotates, publishes and serves signing keys stored
// through storage.Storage. Private keys are decrypted once and kept in
// memory. Replicas sharing one store converge on the same keys: a key's
// Generation is unique, so when two replicas race to create the next key,
// one gets storage.ErrAlreadyExists and reloads.
type KeyManager struct {
	store  storage.Storage
	aead   cipher.AEAD
	alg    jose.SignatureAlgorithm
	period time.Duration
	lead   time.Duration
	log    *slog.Logger
	now    func() time.Time
	rsa    func(*rsa.PrivateKey) (jose.OpaqueSigner, error)

	// mu guards the fields below.
	mu sync.Mutex
	// first is KeyConfig.FirstKey until a key is created.
	first *KeyGeneration
	// keys is the key set as last loaded, ordered by Generation.
	keys     []storage.SigningKey
	loadedAt time.Time
	// signers caches by key ID what signs with each decrypted private
	// key: the key itself (crypto/rsa, crypto/ecdsa) or RSASigner's
	// jose.OpaqueSigner.
	signers map[string]any
	// publics caches parsed public keys by key ID.
	publics map[string]jose.JSONWebKey
}

// NewKeyManager validates cfg and returns a KeyManager. It does not touch
// storage; keys are created on first use or by Rotate.
func NewKeyManager(cfg KeyConfig) (*KeyManager, error) {
	if cfg.Storage == nil {
		return nil, errors.New("key manager: storage is required")
	}
	if len(cfg.EncryptionKey) != 32 {
		return nil, errors.New("key manager: encryption key must be 32 bytes")
	}
	block, err := aes.NewCipher(cfg.EncryptionKey)
	if err != nil {
		return nil, fmt.Errorf("key manager: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("key manager: %w", err)
	}
	alg, err := signingAlgorithm(cfg.Algorithm)
	if err != nil {
		return nil, fmt.Errorf("key manager: %w", err)
	}
	if cfg.RotationPeriod == 0 {
		cfg.RotationPeriod = 720 * time.Hour
	}
	if cfg.TokenLifetime <= 0 {
		return nil, errors.New("key manager: token lifetime must be positive")
	}
	if cfg.RotationPeriod < 2*cfg.TokenLifetime {
		return nil, errors.New("key manager: rotation period must be at least twice the token lifetime")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &KeyManager{
		store:   cfg.Storage,
		aead:    aead,
		alg:     alg,
		period:  cfg.RotationPeriod,
		lead:    cfg.TokenLifetime,
		log:     cfg.Logger,
		now:     cfg.Now,
		rsa:     cfg.RSASigner,
		first:   cfg.FirstKey,
		signers: make(map[string]any),
		publics: make(map[string]jose.JSONWebKey),
	}, nil
}

// List reloads the key set from storage and describes every published key.
func (m *KeyManager) List(ctx context.Context) ([]KeyInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.reloadLocked(ctx); err != nil {
		return nil, err
	}
	now := m.now()
	active, _ := m.activeLocked(now)
	var infos []KeyInfo
	for _, k := range m.publishedLocked(now) {
		state := KeyRetiring
		switch {
		case k.ID == active.ID:
			state = KeyActive
		case k.ActivatesAt.After(now):
			state = KeyNext
		}
		infos = append(infos, KeyInfo{
			ID: k.ID, Algorithm: k.Algorithm, Generation: k.Generation,
			CreatedAt: k.CreatedAt, ActivatesAt: k.ActivatesAt, RetiresAt: k.RetiresAt, State: state,
		})
	}
	return infos, nil
}

// Rotate publishes a new next key, activating one token lifetime from now,
// unless a next key is already waiting to activate.
func (m *KeyManager) Rotate(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.reloadLocked(ctx); err != nil {
		return err
	}
	now := m.now()
	for _, k := range m.keys {
		if k.ActivatesAt.After(now) {
			return nil
		}
	}
	return m.createLocked(ctx, now.Add(m.lead))
}

// maintain makes sure a key can sign and publishes the next key when the
// active one is due for rotation. It is what Provider.Run calls on a
// schedule.
func (m *KeyManager) maintain(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.reloadLocked(ctx); err != nil {
		return err
	}
	return m.ensureLocked(ctx)
}

func (m *KeyManager) ensureLocked(ctx context.Context) error {
	now := m.now()
	active, ok := m.activeLocked(now)
	if !ok {
		// First start, or every key outlived its signing window: a key
		// that signs at once is the only way to keep issuing tokens.
		return m.createLocked(ctx, now)
	}
	if now.Before(active.ActivatesAt.Add(m.period - m.lead)) {
		return nil
	}
	for _, k := range m.keys {
		if k.Generation > active.Generation {
			return nil
		}
	}
	return m.createLocked(ctx, now.Add(m.lead))
}

// createLocked generates and stores the next generation of key. A lost
// race with another replica is not an error: the winner's key is loaded.
func (m *KeyManager) createLocked(ctx context.Context, activatesAt time.Time) error {
	var gen int64 = 1
	if n := len(m.keys); n > 0 {
		gen = m.keys[n-1].Generation + 1
	}
	k, signer, err := m.generate(ctx, gen, activatesAt)
	if err != nil {
		return err
	}
	err = m.store.CreateSigningKey(ctx, k)
	if errors.Is(err, storage.ErrAlreadyExists) {
		m.log.InfoContext(ctx, "signing key created by another replica", "generation", gen)
		return m.reloadLocked(ctx)
	}
	if err != nil {
		return fmt.Errorf("create signing key: %w", err)
	}
	m.log.InfoContext(ctx, "signing key created", "kid", k.ID, "generation", gen, "activates_at", k.ActivatesAt)
	// A key RSASigner refuses is not cached: signerLocked loads it
	// from storage again and reports the error where it is used.
	if s, err := m.signingForm(signer); err == nil {
		m.signers[k.ID] = s
	}
	return m.reloadLocked(ctx)
}

func (m *KeyManager) generate(ctx context.Context, gen int64, activatesAt time.Time) (storage.SigningKey, crypto.Signer, error) {
	signer, err := m.newSigner(ctx)
	if err != nil {
		return storage.SigningKey{}, nil, err
	}
	id := randomString(16)
	der, err := x509.MarshalPKCS8PrivateKey(signer)
	if err != nil {
		return storage.SigningKey{}, nil, fmt.Errorf("marshal signing key: %w", err)
	}
	sealed, err := m.seal(id, der)
	if err != nil {
		return storage.SigningKey{}, nil, err
	}
	jwk := jose.JSONWebKey{Key: signer.Public(), KeyID: id, Algorithm: string(m.alg), Use: "sig"}
	pub, err := jwk.MarshalJSON()
	if err != nil {
		return storage.SigningKey{}, nil, fmt.Errorf("marshal public key: %w", err)
	}
	now := m.now().UTC()
	return storage.SigningKey{
		ID:                  id,
		Generation:          gen,
		Algorithm:           string(m.alg),
		PrivateKeyEncrypted: sealed,
		PublicKeyJWK:        pub,
		CreatedAt:           now,
		ActivatesAt:         activatesAt.UTC(),
		// The key signs for at most period+lead from activation, and
		// what it signed last must stay verifiable for another lead.
		RetiresAt: activatesAt.Add(m.period + 2*m.lead).UTC(),
	}, signer, nil
}

// newSigner is the private key of a new key: the first key's generated
// ahead (KeyConfig.FirstKey) when there is one for the manager's
// algorithm, else a key generated now. Called with mu held.
func (m *KeyManager) newSigner(ctx context.Context) (crypto.Signer, error) {
	first := m.first
	m.first = nil
	if first != nil && first.alg == m.alg {
		return first.wait(ctx)
	}
	return newSigningKey(m.alg)
}

// seal encrypts a private key with AES-256-GCM, a random nonce and the key
// ID as additional data, so a ciphertext cannot be moved to another key.
func (m *KeyManager) seal(id string, plain []byte) ([]byte, error) {
	nonce := make([]byte, m.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal signing key: %w", err)
	}
	return m.aead.Seal(nonce, nonce, plain, []byte(id)), nil
}

func (m *KeyManager) open(id string, sealed []byte) ([]byte, error) {
	n := m.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("open signing key: ciphertext too short")
	}
	plain, err := m.aead.Open(nil, sealed[:n], sealed[n:], []byte(id))
	if err != nil {
		return nil, fmt.Errorf("open signing key %s: %w", id, err)
	}
	return plain, nil
}

func (m *KeyManager) reloadLocked(ctx context.Context) error {
	keys, err := m.store.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("list signing keys: %w", err)
	}
	slices.SortFunc(keys, func(a, b storage.SigningKey) int { return int(a.Generation - b.Generation) })
	m.keys = keys
	m.loadedAt = m.now()
	return nil
}

// freshLocked reloads the key set when it is older than keyReloadInterval.
func (m *KeyManager) freshLocked(ctx context.Context) error {
	now := m.now()
	if m.keys != nil && now.Sub(m.loadedAt) < keyReloadInterval && !now.Before(m.loadedAt) {
		return nil
	}
	return m.reloadLocked(ctx)
}

// activeLocked picks the key that signs at now: the newest key that has
// activated and is still inside its signing window (it must stay
// verifiable for one token lifetime before it retires). When none is, a
// published next key is used early rather than leaving nothing to sign.
func (m *KeyManager) activeLocked(now time.Time) (storage.SigningKey, bool) {
	for i := len(m.keys) - 1; i >= 0; i-- {
		k := m.keys[i]
		if !k.ActivatesAt.After(now) && now.Before(k.RetiresAt.Add(-m.lead)) {
			return k, true
		}
	}
	for _, k := range m.keys {
		if k.ActivatesAt.After(now) {
			return k, true
		}
	}
	return storage.SigningKey{}, false
}

// publishedLocked is the key set published at now: every key not retired.
func (m *KeyManager) publishedLocked(now time.Time) []storage.SigningKey {
	var out []storage.SigningKey
	for _, k := range m.keys {
		if k.RetiresAt.IsZero() || now.Before(k.RetiresAt) {
			out = append(out, k)
		}
	}
	return out
}

func (m *KeyManager) signerLocked(k storage.SigningKey) (any, error) {
	if s, ok := m.signers[k.ID]; ok {
		return s, nil
	}
	der, err := m.open(k.ID, k.PrivateKeyEncrypted)
	if err != nil {
		return nil, err
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse signing key %s: %w", k.ID, err)
	}
	key, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("parse signing key %s: not a signer", k.ID)
	}
	s, err := m.signingForm(key)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", k.ID, err)
	}
	m.signers[k.ID] = s
	return s, nil
}

// signingForm is what signs with key: RSASigner's signer for an RSA key
// when it gives one, else key itself.
func (m *KeyManager) signingForm(key crypto.Signer) (any, error) {
	if k, ok := key.(*rsa.PrivateKey); ok && m.rsa != nil {
		s, err := m.rsa(k)
		if err != nil {
			return nil, err
		}
		if s != nil {
			return s, nil
		}
	}
	return key, nil
}

func (m *KeyManager) publicLocked(k storage.SigningKey) (jose.JSONWebKey, error) {
	if p, ok := m.publics[k.ID]; ok {
		return p, nil
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(k.PublicKeyJWK); err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("parse public key %s: %w", k.ID, err)
	}
	jwk.KeyID, jwk.Algorithm, jwk.Use = k.ID, k.Algorithm, "sig"
	m.publics[k.ID] = jwk
	return jwk, nil
}

// loaded reports whether a signing key is available, for readiness.
func (m *KeyManager) loaded() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.activeLocked(m.now())
	return ok
}
