package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

const clientColumns = `id, name, secret_hash, public, application_type, redirect_uris,
	post_logout_redirect_uris, grant_types, scopes, initiate_login_uri, backchannel_logout_uri,
	access_token_format, access_token_ttl_ns, id_token_ttl_ns, refresh_token_ttl_ns, require_pkce,
	policy, declarative, created_at, updated_at`

// clientArgs returns c's column values in clientColumns order.
func clientArgs(c storage.Client) ([]any, error) {
	var e encoder
	args := []any{
		c.ID, c.Name, blob(c.SecretHash), c.Public, c.ApplicationType, e.json(c.RedirectURIs),
		e.json(c.PostLogoutRedirectURIs), e.json(c.GrantTypes), e.json(c.Scopes), c.InitiateLoginURI, c.BackchannelLogoutURI,
		c.AccessTokenFormat, int64(c.AccessTokenTTL), int64(c.IDTokenTTL), int64(c.RefreshTokenTTL), c.RequirePKCE,
		e.json(c.Policy), c.Declarative, micros(c.CreatedAt), micros(c.UpdatedAt),
	}
	return args, e.err
}

func scanClient(row interface{ Scan(...any) error }) (storage.Client, error) {
	var c storage.Client
	var accessTTL, idTTL, refreshTTL int64
	err := row.Scan(
		&c.ID, &c.Name, &c.SecretHash, &c.Public, &c.ApplicationType, jsonDest{&c.RedirectURIs},
		jsonDest{&c.PostLogoutRedirectURIs}, jsonDest{&c.GrantTypes}, jsonDest{&c.Scopes}, &c.InitiateLoginURI, &c.BackchannelLogoutURI,
		&c.AccessTokenFormat, &accessTTL, &idTTL, &refreshTTL, &c.RequirePKCE,
		jsonDest{&c.Policy}, &c.Declarative, timeDest{&c.CreatedAt}, timeDest{&c.UpdatedAt},
	)
	c.AccessTokenTTL = time.Duration(accessTTL)
	c.IDTokenTTL = time.Duration(idTTL)
	c.RefreshTokenTTL = time.Duration(refreshTTL)
	if len(c.SecretHash) == 0 {
		c.SecretHash = nil
	}
	return c, err
}

// CreateClient stores a new client; ErrAlreadyExists if the ID is taken.
func (s *Store) CreateClient(ctx context.Context, c storage.Client) error {
	args, err := clientArgs(c)
	if err != nil {
		return fmt.Errorf("create client %q: %w", c.ID, err)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO clients (`+clientColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	if err != nil {
		return fmt.Errorf("create client %q: %w", c.ID, mapErr(err))
	}
	return nil
}

// GetClient loads a client by ID.
func (s *Store) GetClient(ctx context.Context, id string) (storage.Client, error) {
	c, err := scanClient(s.db.QueryRowContext(ctx, `SELECT `+clientColumns+` FROM clients WHERE id = ?`, id))
	if err != nil {
		return storage.Client{}, fmt.Errorf("get client %q: %w", id, mapErr(err))
	}
	return c, nil
}

// ListClients returns every client ordered by ID.
func (s *Store) ListClients(ctx context.Context) ([]storage.Client, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+clientColumns+` FROM clients ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	defer rows.Close()
	var out []storage.Client
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, fmt.Errorf("list clients: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	return out, nil
}

// clientUpdateSet assigns every column but id and created_at from the
// numbered parameters of clientArgs.
const clientUpdateSet = `name = ?2, secret_hash = ?3, public = ?4, application_type = ?5,
	redirect_uris = ?6, post_logout_redirect_uris = ?7, grant_types = ?8, scopes = ?9,
	initiate_login_uri = ?10, backchannel_logout_uri = ?11, access_token_format = ?12,
	access_token_ttl_ns = ?13, id_token_ttl_ns = ?14, refresh_token_ttl_ns = ?15,
	require_pkce = ?16, policy = ?17, declarative = ?18, updated_at = ?20`

// UpdateClient replaces every field of an existing client but ID and
// CreatedAt; ErrNotFound if it does not exist.
func (s *Store) UpdateClient(ctx context.Context, c storage.Client) error {
	args, err := clientArgs(c)
	if err != nil {
		return fmt.Errorf("update client %q: %w", c.ID, err)
	}
	// ?19 (created_at) stays unused: SQLite counts parameters up to the
	// highest number, so all of clientArgs binds.
	res, err := s.db.ExecContext(ctx, `UPDATE clients SET `+clientUpdateSet+` WHERE id = ?1`, args...)
	if err == nil {
		err = notFoundIfNone(res)
	}
	if err != nil {
		return fmt.Errorf("update client %q: %w", c.ID, mapErr(err))
	}
	return nil
}

// UpsertClient creates the client or replaces an existing one, keeping the
// existing CreatedAt.
func (s *Store) UpsertClient(ctx context.Context, c storage.Client) error {
	args, err := clientArgs(c)
	if err != nil {
		return fmt.Errorf("upsert client %q: %w", c.ID, err)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO clients (`+clientColumns+`)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)
		ON CONFLICT (id) DO UPDATE SET `+clientUpdateSet, args...)
	if err != nil {
		return fmt.Errorf("upsert client %q: %w", c.ID, mapErr(err))
	}
	return nil
}

// DeleteClient removes a client and, through ON DELETE CASCADE, its auth
// requests and tokens; ErrNotFound if it does not exist.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM clients WHERE id = ?`, id)
	if err == nil {
		err = notFoundIfNone(res)
	}
	if err != nil {
		return fmt.Errorf("delete client %q: %w", id, mapErr(err))
	}
	return nil
}
