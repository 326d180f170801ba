-- Which clients were issued tokens in which browser session, so that a
-- session's end can be announced to each (OpenID Connect Back-Channel
-- Logout). Written with the tokens; removed with the session.

CREATE TABLE session_clients (
    session_id TEXT NOT NULL,
    client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    subject    TEXT NOT NULL,
    created_at INTEGER,
    PRIMARY KEY (session_id, client_id)
) STRICT;

CREATE INDEX session_clients_client_id ON session_clients (client_id);
