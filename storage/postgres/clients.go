package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/dingbridge/dingbridge/storage"
)

// clientColumns is the column list scanClient reads, in order.
const clientColumns = `id, name, secret_hash, public, application_type, redirect_uris,
	post_logout_redirect_uris, grant_types, scopes, initiate_login_uri, backchannel_logout_uri,
	access_token_format, access_token_ttl, id_token_ttl, refresh_token_ttl, require_pkce,
	policy, declarative, created_at, updated_at`

func scanClient(row pgx.CollectableRow) (storage.Client, error) {
	var (
		c                    storage.Client
		createdAt, updatedAt pgtype.Timestamptz
	)
	err := row.Scan(&c.ID, &c.Name, &c.SecretHash, &c.Public, &c.ApplicationType, &c.RedirectURIs,
		&c.PostLogoutRedirectURIs, &c.GrantTypes, &c.Scopes, &c.InitiateLoginURI, &c.BackchannelLogoutURI,
		&c.AccessTokenFormat, &c.AccessTokenTTL, &c.IDTokenTTL, &c.RefreshTokenTTL, &c.RequirePKCE,
		&c.Policy, &c.Declarative, &createdAt, &updatedAt)
	c.CreatedAt, c.UpdatedAt = utc(createdAt), utc(updatedAt)
	return c, err
}

// clientArgs names a client's columns for the statements below.
func clientArgs(c storage.Client) namedArgs {
	return namedArgs{
		"id":                        c.ID,
		"name":                      c.Name,
		"secret_hash":               c.SecretHash,
		"public":                    c.Public,
		"application_type":          c.ApplicationType,
		"redirect_uris":             c.RedirectURIs,
		"post_logout_redirect_uris": c.PostLogoutRedirectURIs,
		"grant_types":               c.GrantTypes,
		"scopes":                    c.Scopes,
		"initiate_login_uri":        c.InitiateLoginURI,
		"backchannel_logout_uri":    c.BackchannelLogoutURI,
		"access_token_format":       c.AccessTokenFormat,
		"access_token_ttl":          c.AccessTokenTTL,
		"id_token_ttl":              c.IDTokenTTL,
		"refresh_token_ttl":         c.RefreshTokenTTL,
		"require_pkce":              c.RequirePKCE,
		"policy":                    c.Policy,
		"declarative":               c.Declarative,
		"created_at":                ts(c.CreatedAt),
		"updated_at":                ts(c.UpdatedAt),
	}
}

// CreateClient stores a new client; ErrAlreadyExists if the ID is taken.
func (s *Store) CreateClient(ctx context.Context, c storage.Client) error {
	const q = `INSERT INTO clients (` + clientColumns + `) VALUES (
		@id, @name, @secret_hash, @public, @application_type, @redirect_uris,
		@post_logout_redirect_uris, @grant_types, @scopes, @initiate_login_uri, @backchannel_logout_uri,
		@access_token_format, @access_token_ttl, @id_token_ttl, @refresh_token_ttl, @require_pkce,
		@policy, @declarative, @created_at, @updated_at)`
	if _, err := s.pool.Exec(ctx, q, clientArgs(c)); err != nil {
		return dbErr("create client", err)
	}
	return nil
}

// GetClient loads a client by ID.
func (s *Store) GetClient(ctx context.Context, id string) (storage.Client, error) {
	const q = `SELECT ` + clientColumns + ` FROM clients WHERE id = $1`
	rows, _ := s.pool.Query(ctx, q, id)
	c, err := pgx.CollectExactlyOneRow(rows, scanClient)
	if err != nil {
		return storage.Client{}, dbErr("get client", err)
	}
	return c, nil
}

// ListClients returns every client ordered by ID.
func (s *Store) ListClients(ctx context.Context) ([]storage.Client, error) {
	const q = `SELECT ` + clientColumns + ` FROM clients ORDER BY id`
	rows, _ := s.pool.Query(ctx, q)
	cs, err := pgx.CollectRows(rows, scanClient)
	if err != nil {
		return nil, dbErr("list clients", err)
	}
	return cs, nil
}

// UpdateClient replaces every field of an existing client but ID and
// CreatedAt; ErrNotFound if it does not exist.
func (s *Store) UpdateClient(ctx context.Context, c storage.Client) error {
	const q = `UPDATE clients SET
		name = @name, secret_hash = @secret_hash, public = @public,
		application_type = @application_type, redirect_uris = @redirect_uris,
		post_logout_redirect_uris = @post_logout_redirect_uris, grant_types = @grant_types,
		scopes = @scopes, initiate_login_uri = @initiate_login_uri,
		backchannel_logout_uri = @backchannel_logout_uri, access_token_format = @access_token_format,
		access_token_ttl = @access_token_ttl, id_token_ttl = @id_token_ttl,
		refresh_token_ttl = @refresh_token_ttl, require_pkce = @require_pkce, policy = @policy,
		declarative = @declarative, updated_at = @updated_at
		WHERE id = @id`
	tag, err := s.pool.Exec(ctx, q, clientArgs(c))
	if err != nil {
		return dbErr("update client", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("update client")
	}
	return nil
}

// UpsertClient creates the client or replaces an existing one. An existing
// client keeps its CreatedAt.
func (s *Store) UpsertClient(ctx context.Context, c storage.Client) error {
	const q = `INSERT INTO clients (` + clientColumns + `) VALUES (
		@id, @name, @secret_hash, @public, @application_type, @redirect_uris,
		@post_logout_redirect_uris, @grant_types, @scopes, @initiate_login_uri, @backchannel_logout_uri,
		@access_token_format, @access_token_ttl, @id_token_ttl, @refresh_token_ttl, @require_pkce,
		@policy, @declarative, @created_at, @updated_at)
		ON CONFLICT (id) DO UPDATE SET
		name = excluded.name, secret_hash = excluded.secret_hash, public = excluded.public,
		application_type = excluded.application_type, redirect_uris = excluded.redirect_uris,
		post_logout_redirect_uris = excluded.post_logout_redirect_uris,
		grant_types = excluded.grant_types, scopes = excluded.scopes,
		initiate_login_uri = excluded.initiate_login_uri,
		backchannel_logout_uri = excluded.backchannel_logout_uri,
		access_token_format = excluded.access_token_format,
		access_token_ttl = excluded.access_token_ttl, id_token_ttl = excluded.id_token_ttl,
		refresh_token_ttl = excluded.refresh_token_ttl, require_pkce = excluded.require_pkce,
		policy = excluded.policy, declarative = excluded.declarative,
		updated_at = excluded.updated_at`
	if _, err := s.pool.Exec(ctx, q, clientArgs(c)); err != nil {
		return dbErr("upsert client", err)
	}
	return nil
}

// clientExists, completed by a column or parameter holding a client ID
// and a closing parenthesis, is the condition that the client exists.
// Authorization requests, tokens and session links name their client
// without a foreign key (migrations/postgres/0003): the statements that
// write or read them check the client with it, and DeleteClient deletes
// them.
const clientExists = `EXISTS (SELECT 1 FROM clients WHERE clients.id = `

// DeleteClient removes a client with its authorization requests, tokens
// and session links, in one statement; ErrNotFound if it does not exist.
// A row a concurrent statement writes for the client after this one is
// never found: the statements that read them check the client.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	const q = `WITH ar AS (
		DELETE FROM auth_requests WHERE client_id = $1
	), at AS (
		DELETE FROM access_tokens WHERE client_id = $1
	), rt AS (
		DELETE FROM refresh_tokens WHERE client_id = $1
	), sc AS (
		DELETE FROM session_clients WHERE client_id = $1
	)
	DELETE FROM clients WHERE id = $1`
	tag, err := s.pool.Exec(ctx, q, id)
	if err != nil {
		return dbErr("delete client", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("delete client")
	}
	return nil
}
