package sqlite

import (
	"context"
	"fmt"

	"github.com/dingbridge/dingbridge/storage"
)

// CreateSigningKey stores a key; ErrAlreadyExists if a key with the same ID
// or the same Generation exists.
func (s *Store) CreateSigningKey(ctx context.Context, k storage.SigningKey) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO signing_keys (id, generation, algorithm,
			private_key_encrypted, public_key_jwk, created_at, activates_at, retires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.Generation, k.Algorithm, blob(k.PrivateKeyEncrypted), blob(k.PublicKeyJWK),
		micros(k.CreatedAt), micros(k.ActivatesAt), micros(k.RetiresAt))
	if err != nil {
		return fmt.Errorf("create signing key %q (generation %d): %w", k.ID, k.Generation, mapErr(err))
	}
	return nil
}

// ListSigningKeys returns every stored key ordered by Generation.
func (s *Store) ListSigningKeys(ctx context.Context) ([]storage.SigningKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, generation, algorithm, private_key_encrypted,
			public_key_jwk, created_at, activates_at, retires_at
		FROM signing_keys ORDER BY generation`)
	if err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	defer rows.Close()
	var out []storage.SigningKey
	for rows.Next() {
		var k storage.SigningKey
		if err := rows.Scan(&k.ID, &k.Generation, &k.Algorithm, &k.PrivateKeyEncrypted, &k.PublicKeyJWK,
			timeDest{&k.CreatedAt}, timeDest{&k.ActivatesAt}, timeDest{&k.RetiresAt}); err != nil {
			return nil, fmt.Errorf("list signing keys: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	return out, nil
}

// DeleteSigningKey removes a key; ErrNotFound if absent.
func (s *Store) DeleteSigningKey(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM signing_keys WHERE id = ?`, id)
	if err == nil {
		err = notFoundIfNone(res)
	}
	if err != nil {
		return fmt.Errorf("delete signing key %q: %w", id, mapErr(err))
	}
	return nil
}
