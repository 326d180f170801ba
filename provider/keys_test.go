package provider

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

func newKeyManager(t *testing.T, s storage.Storage, c *clock, kek []byte) *KeyManager {
	t.Helper()
	m, err := NewKeyManager(KeyConfig{
		Storage: s, EncryptionKey: kek, RotationPeriod: 720 * time.Hour, TokenLifetime: time.Hour,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: c.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func keyIDs(t *testing.T, m *KeyManager) []string {
	t.Helper()
	keys, err := m.KeySet(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range keys {
		ids = append(ids, k.ID())
	}
	return ids
}

func signingID(t *testing.T, m *KeyManager) string {
	t.Helper()
	k, err := m.SigningKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return k.ID()
}

func states(t *testing.T, m *KeyManager) map[string]KeyState {
	t.Helper()
	infos, err := m.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]KeyState{}
	for _, i := range infos {
		out[i.ID] = i.State
	}
	return out
}

func TestKeyRotation(t *testing.T) {
	s := newSQLite(t)
	c := &clock{}
	m1 := newKeyManager(t, s, c, testKeys.kek)

	first := signingID(t, m1)
	if got := states(t, m1); len(got) != 1 || got[first] != KeyActive {
		t.Fatalf("after first use: %v", got)
	}

	// A forced rotation publishes the next key before it signs.
	if err := m1.Rotate(t.Context()); err != nil {
		t.Fatal(err)
	}
	st := states(t, m1)
	var next string
	for id, s := range st {
		if s == KeyNext {
			next = id
		}
	}
	if next == "" || st[first] != KeyActive {
		t.Fatalf("after Rotate: %v", st)
	}
	if ids := keyIDs(t, m1); !slices.Contains(ids, next) || !slices.Contains(ids, first) {
		t.Errorf("JWKS %v lacks the next or the active key", ids)
	}
	if got := signingID(t, m1); got != first {
		t.Errorf("signing with %s before the next key activates, want %s", got, first)
	}

	// A second manager on the same store (another replica) agrees.
	m2 := newKeyManager(t, s, c, testKeys.kek)
	if got := signingID(t, m2); got != first {
		t.Errorf("replica signs with %s, want %s", got, first)
	}
	if a, b := keyIDs(t, m1), keyIDs(t, m2); !slices.Equal(a, b) {
		t.Errorf("replicas publish %v and %v", a, b)
	}

	// One token lifetime later the next key signs; the old one stays
	// published for the tokens it signed.
	c.Advance(time.Hour + time.Second)
	if got := signingID(t, m1); got != next {
		t.Errorf("after activation signing with %s, want %s", got, next)
	}
	if got := signingID(t, m2); got != next {
		t.Errorf("replica after activation signs with %s, want %s", got, next)
	}
	if st := states(t, m1); st[first] != KeyRetiring || st[next] != KeyActive {
		t.Errorf("after activation: %v", st)
	}
	if ids := keyIDs(t, m2); !slices.Contains(ids, first) {
		t.Errorf("old key %s dropped from JWKS %v too early", first, ids)
	}

	// Scheduled rotation: one token lifetime before the period ends the
	// next key appears; it signs when the period ends; the first key
	// leaves the set once every token it signed has expired.
	c.Advance(719 * time.Hour)
	if err := m1.maintain(t.Context()); err != nil {
		t.Fatal(err)
	}
	ids := keyIDs(t, m1)
	if len(ids) != 3 {
		t.Fatalf("JWKS after scheduled rotation = %v, want 3 keys", ids)
	}
	third := ids[2]
	if got := signingID(t, m1); got != next {
		t.Errorf("scheduled next key signs early: %s", got)
	}
	c.Advance(time.Hour + time.Second)
	if got := signingID(t, m1); got != third {
		t.Errorf("after the period signing with %s, want %s", got, third)
	}
	c.Advance(time.Hour)
	if ids := keyIDs(t, m1); slices.Contains(ids, first) || !slices.Contains(ids, next) {
		t.Errorf("JWKS = %v, want the first key retired and the second still published", ids)
	}
}

func TestKeyRace(t *testing.T) {
	s := newSQLite(t)
	c := &clock{}
	managers := []*KeyManager{newKeyManager(t, s, c, testKeys.kek), newKeyManager(t, s, c, testKeys.kek), newKeyManager(t, s, c, testKeys.kek)}
	ids := make([]string, len(managers))
	var wg sync.WaitGroup
	for i, m := range managers {
		wg.Go(func() {
			k, err := m.SigningKey(t.Context())
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = k.ID()
		})
	}
	wg.Wait()
	if ids[0] == "" || ids[0] != ids[1] || ids[1] != ids[2] {
		t.Errorf("racing replicas sign with %v, want one key", ids)
	}
	stored, err := s.ListSigningKeys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 1 {
		t.Errorf("%d keys stored, want 1", len(stored))
	}
}

func TestKeysEncryptedAtRest(t *testing.T) {
	s := newSQLite(t)
	c := &clock{}
	m := newKeyManager(t, s, c, testKeys.kek)
	signingID(t, m)
	stored, err := s.ListSigningKeys(t.Context())
	if err != nil || len(stored) != 1 {
		t.Fatalf("ListSigningKeys: %v %d", err, len(stored))
	}
	k, _ := m.SigningKey(t.Context())
	der, err := x509.MarshalPKCS8PrivateKey(k.Key())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(stored[0].PrivateKeyEncrypted, der[len(der)-64:]) {
		t.Error("private key stored in plain")
	}
	var jwk map[string]any
	if err := json.Unmarshal(stored[0].PublicKeyJWK, &jwk); err != nil || jwk["kid"] != stored[0].ID || jwk["d"] != nil {
		t.Errorf("public JWK = %v (%v)", jwk, err)
	}
	other := newKeyManager(t, s, c, bytes.Repeat([]byte{9}, 32))
	if _, err := other.SigningKey(t.Context()); err == nil {
		t.Error("a manager with another encryption key decrypted the signing key")
	}
}

// TestReplicas runs two providers on one store behind one issuer, as a
// load balancer would: they publish the same key set and redeem each
// other's codes.
func TestReplicas(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b.open(t))
			c := e.addClient("web", nil)
			p2, err := New(t.Context(), e.cfg)
			if err != nil {
				t.Fatal(err)
			}
			jwks := func(p *Provider) string {
				rec := httptest.NewRecorder()
				p.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, e.issuer+"/keys", nil))
				if rec.Code != http.StatusOK {
					t.Fatalf("keys: %d", rec.Code)
				}
				return rec.Body.String()
			}
			if a, b := jwks(e.p), jwks(p2); a != b {
				t.Errorf("replicas publish different key sets:\n%s\n%s", a, b)
			}

			// Log in on replica 1, redeem on replica 2.
			code, v := e.codeFor(t, c)
			srv2 := httptest.NewServer(p2.Handler())
			defer srv2.Close()
			form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {c.RedirectURIs[0]}, "code_verifier": {v}}
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv2.URL+"/dingbridge/oauth/token", bytes.NewBufferString(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(c.ID, c.secret)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var tok map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&tok)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || tok["id_token"] == nil {
				t.Fatalf("replica 2 exchange: %d %v", resp.StatusCode, tok)
			}
			// Replica 1 accepts what replica 2 issued.
			status, intro := e.post(t, "/oauth/introspect", c, true, url.Values{"token": {tok["access_token"].(string)}})
			if status != http.StatusOK || intro["active"] != true {
				t.Errorf("replica 1 introspecting replica 2's token: %d %v", status, intro)
			}
		})
	}
}

// TestFlowCommitsWithoutNewKeys guards the commit count: a provider that
// found its key at start does not write keys during a flow, the code is
// issued by the login's own transaction, and no step reads back the
// authorization request the step before it stored.
func TestFlowCommitsWithoutNewKeys(t *testing.T) {
	e := newEnv(t, newSQLite(t))
	c := e.addClient("web", nil)
	e.store.reset()
	e.store.resetReads()
	code, v := e.codeFor(t, c)
	if status, _ := e.exchange(t, c, true, code, v); status != http.StatusOK {
		t.Fatal("exchange failed")
	}
	got := e.store.reset()
	want := []string{"CompleteLogin", "RedeemAuthCode"}
	if !slices.Equal(got, want) {
		t.Errorf("writes = %v, want %v", got, want)
	}
	if reads := e.store.resetReads(); slices.Contains(reads, "GetAuthRequest") {
		t.Errorf("reads = %v, want no GetAuthRequest", reads)
	}
}
