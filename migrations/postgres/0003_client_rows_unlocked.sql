-- Authorization requests, tokens and session links name their client
-- without a foreign key. Every login inserted rows naming the same client
-- row, and each foreign-key check took a KEY SHARE lock on it: with
-- concurrent logins those locks are shared by many transactions at once,
-- so each check wrote the client row's lock state again (a multixact)
-- and logged it. The storage code keeps what the keys kept: a write
-- checks in its statement that the client exists, reading a token or
-- spending a code or refresh token checks it too, and deleting a client
-- deletes its rows in the same statement.
ALTER TABLE auth_requests DROP CONSTRAINT auth_requests_client_id_fkey;
ALTER TABLE access_tokens DROP CONSTRAINT access_tokens_client_id_fkey;
ALTER TABLE refresh_tokens DROP CONSTRAINT refresh_tokens_client_id_fkey;
ALTER TABLE session_clients DROP CONSTRAINT session_clients_client_id_fkey;

-- The client_id indexes of the two tables every login writes served only
-- the cascade; deleting a client scans them instead. Both hold rows for
-- minutes to hours (the request and access token lifetimes).
DROP INDEX auth_requests_client_id_idx;
DROP INDEX access_tokens_client_id_idx;

-- A session's subject is always read from the user's row in the statement
-- that writes the session, and users are never deleted; the key's check
-- locked the user's row on every login.
ALTER TABLE sessions DROP CONSTRAINT sessions_subject_fkey;
