-- Initial dingbridge schema for SQLite.
--
-- Times are INTEGER unix microseconds in UTC, NULL for the zero time.
-- Lists, maps and the client policy / DingTalk profile are JSON TEXT.
-- Digests and encrypted keys are BLOB.

CREATE TABLE clients (
    id                        TEXT PRIMARY KEY,
    name                      TEXT NOT NULL,
    secret_hash               BLOB,
    public                    INTEGER NOT NULL,
    application_type          TEXT NOT NULL,
    redirect_uris             TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    grant_types               TEXT NOT NULL,
    scopes                    TEXT NOT NULL,
    initiate_login_uri        TEXT NOT NULL,
    backchannel_logout_uri    TEXT NOT NULL,
    access_token_format       TEXT NOT NULL,
    access_token_ttl_ns       INTEGER NOT NULL,
    id_token_ttl_ns           INTEGER NOT NULL,
    refresh_token_ttl_ns      INTEGER NOT NULL,
    require_pkce              INTEGER NOT NULL,
    policy                    TEXT NOT NULL,
    declarative               INTEGER NOT NULL,
    created_at                INTEGER,
    updated_at                INTEGER
) STRICT;

CREATE TABLE auth_requests (
    id                    TEXT PRIMARY KEY,
    client_id             TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    redirect_uri          TEXT NOT NULL,
    scopes                TEXT NOT NULL,
    response_type         TEXT NOT NULL,
    response_mode         TEXT NOT NULL,
    state                 TEXT NOT NULL,
    nonce                 TEXT NOT NULL,
    code_challenge        TEXT NOT NULL,
    code_challenge_method TEXT NOT NULL,
    prompt                TEXT NOT NULL,
    max_age               INTEGER,
    login_hint            TEXT NOT NULL,
    id_token_hint_subject TEXT NOT NULL,
    ui_locales            TEXT NOT NULL,
    acr_values            TEXT NOT NULL,
    params                TEXT NOT NULL,
    created_at            INTEGER,
    expires_at            INTEGER NOT NULL,
    done                  INTEGER NOT NULL DEFAULT 0,
    subject               TEXT NOT NULL DEFAULT '',
    session_id            TEXT NOT NULL DEFAULT '',
    auth_time             INTEGER,
    amr                   TEXT NOT NULL DEFAULT '[]',
    code_hash             BLOB UNIQUE,
    code_expires_at       INTEGER
) STRICT;

CREATE INDEX auth_requests_client_id ON auth_requests (client_id);
CREATE INDEX auth_requests_expires_at ON auth_requests (expires_at);

CREATE TABLE access_tokens (
    id         TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    subject    TEXT NOT NULL,
    audience   TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    session_id TEXT NOT NULL,
    family_id  TEXT NOT NULL,
    auth_time  INTEGER,
    amr        TEXT NOT NULL,
    created_at INTEGER,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX access_tokens_client_id ON access_tokens (client_id);
CREATE INDEX access_tokens_family_id ON access_tokens (family_id) WHERE family_id <> '';
CREATE INDEX access_tokens_session_id ON access_tokens (session_id) WHERE session_id <> '';
CREATE INDEX access_tokens_expires_at ON access_tokens (expires_at);

CREATE TABLE refresh_tokens (
    id         TEXT PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    family_id  TEXT NOT NULL,
    client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    subject    TEXT NOT NULL,
    audience   TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    session_id TEXT NOT NULL,
    auth_time  INTEGER,
    amr        TEXT NOT NULL,
    created_at INTEGER,
    expires_at INTEGER NOT NULL,
    rotated_at INTEGER,
    revoked_at INTEGER
) STRICT;

CREATE INDEX refresh_tokens_client_id ON refresh_tokens (client_id);
CREATE INDEX refresh_tokens_family_id ON refresh_tokens (family_id, expires_at);
CREATE INDEX refresh_tokens_session_id ON refresh_tokens (session_id) WHERE session_id <> '';
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

CREATE TABLE signing_keys (
    id                    TEXT PRIMARY KEY,
    generation            INTEGER NOT NULL UNIQUE,
    algorithm             TEXT NOT NULL,
    private_key_encrypted BLOB NOT NULL,
    public_key_jwk        BLOB NOT NULL,
    created_at            INTEGER,
    activates_at          INTEGER,
    retires_at            INTEGER
) STRICT;

CREATE TABLE users (
    subject    TEXT PRIMARY KEY,
    profile    TEXT NOT NULL,
    created_at INTEGER,
    updated_at INTEGER
) STRICT;

-- One row per DingTalk identity in one corp (corp_id is '' for an identity
-- known only by its unionId). A person in two corps has two bindings to the
-- same subject.
CREATE TABLE bindings (
    id            INTEGER PRIMARY KEY,
    corp_id       TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    union_id      TEXT NOT NULL,
    subject       TEXT NOT NULL REFERENCES users (subject) ON DELETE CASCADE,
    profile       TEXT NOT NULL,
    created_at    INTEGER,
    updated_at    INTEGER,
    last_login_at INTEGER,
    CHECK (user_id <> '' OR union_id <> '')
) STRICT;

CREATE UNIQUE INDEX bindings_corp_user ON bindings (corp_id, user_id) WHERE user_id <> '';
CREATE UNIQUE INDEX bindings_corp_union ON bindings (corp_id, union_id) WHERE union_id <> '';
CREATE INDEX bindings_union_id ON bindings (union_id, last_login_at) WHERE union_id <> '';
CREATE INDEX bindings_subject ON bindings (subject, corp_id);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    subject    TEXT NOT NULL,
    auth_time  INTEGER,
    amr        TEXT NOT NULL,
    corp_id    TEXT NOT NULL,
    created_at INTEGER,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE cache (
    key        TEXT PRIMARY KEY,
    value      BLOB NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX cache_expires_at ON cache (expires_at);
