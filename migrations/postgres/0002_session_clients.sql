-- Which clients were issued tokens in which browser session, so that a
-- session's end can be announced to each (OpenID Connect Back-Channel
-- Logout). Written with the tokens; removed with the session.

CREATE TABLE session_clients (
    session_id text NOT NULL,
    client_id  text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    subject    text NOT NULL,
    created_at timestamptz,
    PRIMARY KEY (session_id, client_id)
);
CREATE INDEX session_clients_client_id_idx ON session_clients (client_id);
