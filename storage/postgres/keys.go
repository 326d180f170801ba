package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/dingbridge/dingbridge/storage"
)

// CreateSigningKey stores a key; ErrAlreadyExists if a key with the same ID
// or Generation exists (the unique constraints decide between racing
// replicas).
func (s *Store) CreateSigningKey(ctx context.Context, k storage.SigningKey) error {
	const q = `INSERT INTO signing_keys (id, generation, algorithm, private_key_encrypted,
		public_key_jwk, created_at, activates_at, retires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
	_, err := s.pool.Exec(ctx, q, k.ID, k.Generation, k.Algorithm, k.PrivateKeyEncrypted,
		k.PublicKeyJWK, ts(k.CreatedAt), ts(k.ActivatesAt), ts(k.RetiresAt))
	if err != nil {
		return dbErr("create signing key", err)
	}
	return nil
}

// ListSigningKeys returns every stored key ordered by Generation.
func (s *Store) ListSigningKeys(ctx context.Context) ([]storage.SigningKey, error) {
	const q = `SELECT id, generation, algorithm, private_key_encrypted, public_key_jwk,
		created_at, activates_at, retires_at
		FROM signing_keys ORDER BY generation`
	rows, _ := s.pool.Query(ctx, q)
	keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (storage.SigningKey, error) {
		var (
			k                                 storage.SigningKey
			createdAt, activatesAt, retiresAt pgtype.Timestamptz
		)
		err := row.Scan(&k.ID, &k.Generation, &k.Algorithm, &k.PrivateKeyEncrypted,
			&k.PublicKeyJWK, &createdAt, &activatesAt, &retiresAt)
		k.CreatedAt, k.ActivatesAt, k.RetiresAt = utc(createdAt), utc(activatesAt), utc(retiresAt)
		return k, err
	})
	if err != nil {
		return nil, dbErr("list signing keys", err)
	}
	return keys, nil
}

// DeleteSigningKey removes a key; ErrNotFound if absent.
func (s *Store) DeleteSigningKey(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM signing_keys WHERE id = $1`, id)
	if err != nil {
		return dbErr("delete signing key", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("delete signing key")
	}
	return nil
}
