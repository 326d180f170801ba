-- dingbridge schema, PostgreSQL dialect.
--
-- Times are timestamptz; a NULL time stands for Go's zero time. Digests,
-- encrypted keys and JWKs are bytea, documents (policy, profile, params)
-- jsonb, lists text[]. Tables are created unqualified: the schema is the
-- connection's search_path.

CREATE TABLE clients (
    id                        text PRIMARY KEY,
    name                      text NOT NULL,
    secret_hash               bytea,
    public                    boolean NOT NULL,
    application_type          text NOT NULL,
    redirect_uris             text[],
    post_logout_redirect_uris text[],
    grant_types               text[],
    scopes                    text[],
    initiate_login_uri        text NOT NULL,
    backchannel_logout_uri    text NOT NULL,
    access_token_format       text NOT NULL,
    access_token_ttl          interval NOT NULL,
    id_token_ttl              interval NOT NULL,
    refresh_token_ttl         interval NOT NULL,
    require_pkce              boolean NOT NULL,
    policy                    jsonb NOT NULL,
    declarative               boolean NOT NULL,
    created_at                timestamptz,
    updated_at                timestamptz
);

CREATE TABLE users (
    subject    text PRIMARY KEY,
    profile    jsonb NOT NULL,
    created_at timestamptz,
    updated_at timestamptz
);

-- A binding is found by (corp_id, user_id) or by union_id; either id may be
-- empty, so uniqueness is enforced only where it is set.
CREATE TABLE bindings (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    corp_id       text NOT NULL,
    user_id       text NOT NULL,
    union_id      text NOT NULL,
    subject       text NOT NULL REFERENCES users (subject) ON DELETE CASCADE,
    profile       jsonb NOT NULL,
    created_at    timestamptz,
    updated_at    timestamptz,
    last_login_at timestamptz
);
CREATE UNIQUE INDEX bindings_corp_user_key ON bindings (corp_id, user_id) WHERE user_id <> '';
CREATE UNIQUE INDEX bindings_corp_union_key ON bindings (corp_id, union_id) WHERE union_id <> '';
CREATE INDEX bindings_union_idx ON bindings (union_id) WHERE union_id <> '';
CREATE INDEX bindings_subject_idx ON bindings (subject);

CREATE TABLE sessions (
    id         text PRIMARY KEY,
    subject    text NOT NULL REFERENCES users (subject) ON DELETE CASCADE,
    auth_time  timestamptz,
    amr        text[],
    corp_id    text NOT NULL,
    created_at timestamptz,
    expires_at timestamptz
);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

CREATE TABLE auth_requests (
    id                    text PRIMARY KEY,
    client_id             text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    redirect_uri          text NOT NULL,
    scopes                text[],
    response_type         text NOT NULL,
    response_mode         text NOT NULL,
    state                 text NOT NULL,
    nonce                 text NOT NULL,
    code_challenge        text NOT NULL,
    code_challenge_method text NOT NULL,
    prompt                text[],
    max_age               bigint,
    login_hint            text NOT NULL,
    id_token_hint_subject text NOT NULL,
    ui_locales            text[],
    acr_values            text[],
    params                jsonb,
    created_at            timestamptz,
    expires_at            timestamptz,
    done                  boolean NOT NULL DEFAULT false,
    subject               text NOT NULL DEFAULT '',
    session_id            text NOT NULL DEFAULT '',
    auth_time             timestamptz,
    amr                   text[],
    code_hash             bytea,
    code_expires_at       timestamptz
);
CREATE UNIQUE INDEX auth_requests_code_hash_key ON auth_requests (code_hash);
CREATE INDEX auth_requests_client_id_idx ON auth_requests (client_id);
CREATE INDEX auth_requests_expires_at_idx ON auth_requests (expires_at);

-- Access tokens are deleted when revoked; a refresh family is revoked by
-- setting revoked_at on all its tokens, which stay until the family expires
-- so that a rotated token presented again is recognised.
CREATE TABLE access_tokens (
    id         text PRIMARY KEY,
    client_id  text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    subject    text NOT NULL,
    audience   text[],
    scopes     text[],
    session_id text NOT NULL,
    family_id  text NOT NULL,
    auth_time  timestamptz,
    amr        text[],
    created_at timestamptz,
    expires_at timestamptz
);
CREATE INDEX access_tokens_client_id_idx ON access_tokens (client_id);
CREATE INDEX access_tokens_family_id_idx ON access_tokens (family_id);
CREATE INDEX access_tokens_session_id_idx ON access_tokens (session_id);
CREATE INDEX access_tokens_expires_at_idx ON access_tokens (expires_at);

CREATE TABLE refresh_tokens (
    id         text PRIMARY KEY,
    token_hash bytea NOT NULL,
    family_id  text NOT NULL,
    client_id  text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    subject    text NOT NULL,
    audience   text[],
    scopes     text[],
    session_id text NOT NULL,
    auth_time  timestamptz,
    amr        text[],
    created_at timestamptz,
    expires_at timestamptz,
    rotated_at timestamptz,
    revoked_at timestamptz
);
CREATE UNIQUE INDEX refresh_tokens_token_hash_key ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_client_id_idx ON refresh_tokens (client_id);
CREATE INDEX refresh_tokens_session_id_idx ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_expires_at_idx ON refresh_tokens (expires_at);

CREATE TABLE signing_keys (
    id                    text PRIMARY KEY,
    generation            bigint NOT NULL UNIQUE,
    algorithm             text NOT NULL,
    private_key_encrypted bytea NOT NULL,
    public_key_jwk        bytea NOT NULL,
    created_at            timestamptz,
    activates_at          timestamptz,
    retires_at            timestamptz
);

CREATE TABLE cache (
    key        text PRIMARY KEY,
    value      bytea,
    expires_at timestamptz
);
CREATE INDEX cache_expires_at_idx ON cache (expires_at);
