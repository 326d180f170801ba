// Package storage defines dingbridge's domain types and the Storage
// interface that every backend implements.
//
// The package knows nothing of OpenID Connect or of DingTalk's wire format:
// protocol decisions live in package provider, and storage only saves and
// loads. Two backends implement Storage: storage/postgres (pgx) and
// storage/sqlite (modernc.org/sqlite). storage/storagetest is the
// conformance suite both run.
//
// Conventions every backend follows:
//   - All times are returned in UTC, truncated to microseconds.
//   - A row that does not exist is reported as ErrNotFound, a duplicate key
//     as ErrAlreadyExists; callers never see driver errors for these.
//   - Secrets are never stored in plain: client secrets, authorization codes
//     and refresh tokens arrive as SHA-256 digests, signing keys arrive
//     encrypted. Storage does not hash or encrypt anything itself.
//   - Single use is enforced by the database (a conditional UPDATE or
//     DELETE … RETURNING, an INSERT … ON CONFLICT DO NOTHING), never by
//     read-then-write.
package storage

import (
	"context"
	"errors"
	"time"
)

// Typed errors. Backends wrap them with context; test with errors.Is.
var (
	// ErrNotFound reports that the row does not exist, has expired, or was
	// already consumed.
	ErrNotFound = errors.New("storage: not found")
	// ErrAlreadyExists reports a duplicate primary or unique key.
	ErrAlreadyExists = errors.New("storage: already exists")
	// ErrTokenReused reports that a refresh token which had already been
	// rotated was presented again. The backend has revoked the whole family
	// in the same transaction before returning it.
	ErrTokenReused = errors.New("storage: refresh token reused")
)

// Storage is the contract between the provider and a backend. Methods are
// safe for concurrent use.
type Storage interface {
	// Clients.

	// CreateClient stores a new client; ErrAlreadyExists if the ID is taken.
	CreateClient(ctx context.Context, c Client) error
	// GetClient loads a client by ID.
	GetClient(ctx context.Context, id string) (Client, error)
	// ListClients returns every client ordered by ID.
	ListClients(ctx context.Context) ([]Client, error)
	// UpdateClient replaces every field of an existing client but ID and
	// CreatedAt; ErrNotFound if it does not exist.
	UpdateClient(ctx context.Context, c Client) error
	// UpsertClient creates the client or replaces an existing one (used for
	// declarative clients from the config file).
	UpsertClient(ctx context.Context, c Client) error
	// DeleteClient removes a client and everything issued to it (auth
	// requests, tokens); ErrNotFound if it does not exist.
	DeleteClient(ctx context.Context, id string) error

	// Authorization requests and codes.

	// CreateAuthRequest stores a new authorization request; its
	// completion and code fields are stored as given (a request stored
	// Done cannot be completed: a failed login's marker). ErrNotFound if
	// its client does not exist.
	CreateAuthRequest(ctx context.Context, r AuthRequest) error
	// GetAuthRequest loads a request that has not expired.
	GetAuthRequest(ctx context.Context, id string) (AuthRequest, error)
	// CompleteLogin commits everything one successful login writes, in one
	// transaction: the identity's user and binding (when Identity is set),
	// the browser session, and the authorization request marked done with
	// the digest of its authorization code (when CodeHash is set). It
	// returns the user the login resolved to and the completed request
	// (zero when AuthRequestID is empty). A request that is unknown,
	// expired or already done yields ErrNotFound. With Request set, the
	// request is inserted completed instead (LoginCompletion.Request).
	CompleteLogin(ctx context.Context, c LoginCompletion) (User, AuthRequest, error)
	// SaveAuthCode attaches the digest of an issued authorization code to a
	// completed, unexpired request.
	SaveAuthCode(ctx context.Context, authRequestID string, codeHash []byte, expiresAt time.Time) error
	// GetAuthRequestByCode loads the completed request holding the code
	// digest, if the code has not expired and was not redeemed. It does not
	// consume the code.
	GetAuthRequestByCode(ctx context.Context, codeHash []byte, now time.Time) (AuthRequest, error)
	// RedeemAuthCode atomically spends the code of the request holding the
	// code digest and stores the tokens issued for it. The request stays,
	// done and with no code to redeem, until it expires, so that it
	// cannot be completed again (LoginCompletion.Request). Of many
	// concurrent callers with the same code exactly one succeeds; the
	// others get ErrNotFound, as do callers with an unknown, expired or
	// redeemed code.
	RedeemAuthCode(ctx context.Context, codeHash []byte, now time.Time, issue TokenIssue) error
	// DeleteAuthRequest removes a request; ErrNotFound if it does not exist.
	DeleteAuthRequest(ctx context.Context, id string) error

	// Tokens.

	// CreateTokens stores tokens issued without an authorization code
	// (client credentials, token exchange); ErrNotFound if their client
	// does not exist.
	CreateTokens(ctx context.Context, issue TokenIssue) error
	// GetAccessToken loads an unexpired, unrevoked access token by ID.
	GetAccessToken(ctx context.Context, id string, now time.Time) (AccessToken, error)
	// GetAccessTokenUser returns, from one consistent read, what
	// GetAccessToken, GetUser, ListBindings and GetSession return for an
	// access token: the token (same conditions as GetAccessToken), the user
	// it was issued to, that user's bindings, and whether the token's
	// session exists unexpired at now, with its CorpID. ErrNotFound when
	// the token is unknown, expired or revoked, or its subject names no
	// user (as a client credentials token's does).
	GetAccessTokenUser(ctx context.Context, id string, now time.Time) (AccessTokenUser, error)
	// RevokeAccessToken deletes one access token; ErrNotFound if absent.
	RevokeAccessToken(ctx context.Context, id string) error
	// GetRefreshToken loads a refresh token by digest if it is unexpired,
	// not rotated and its family is not revoked. A rotated token yields
	// ErrTokenReused after its family has been revoked.
	GetRefreshToken(ctx context.Context, tokenHash []byte, now time.Time) (RefreshToken, error)
	// RotateRefreshToken atomically marks the token with oldHash rotated and
	// stores issue (whose Refresh belongs to the same family). Of many
	// concurrent callers exactly one succeeds. A token that was already
	// rotated revokes its family and yields ErrTokenReused; an unknown,
	// expired or revoked one yields ErrNotFound.
	RotateRefreshToken(ctx context.Context, oldHash []byte, now time.Time, issue TokenIssue) error
	// RevokeRefreshFamily revokes every refresh token of a family and
	// deletes the access tokens issued from it.
	RevokeRefreshFamily(ctx context.Context, familyID string) error
	// RevokeSessionTokens revokes every refresh family and access token
	// bound to a browser session.
	RevokeSessionTokens(ctx context.Context, sessionID string) error

	// Signing keys.

	// CreateSigningKey stores a key; ErrAlreadyExists if a key with the
	// same ID or the same Generation exists, which lets replicas race to
	// create the next key safely.
	CreateSigningKey(ctx context.Context, k SigningKey) error
	// ListSigningKeys returns every stored key ordered by Generation.
	ListSigningKeys(ctx context.Context) ([]SigningKey, error)
	// DeleteSigningKey removes a key; ErrNotFound if absent.
	DeleteSigningKey(ctx context.Context, id string) error

	// Users and DingTalk bindings.

	// CreateUser stores a new user; ErrAlreadyExists if the subject is
	// taken.
	CreateUser(ctx context.Context, u User) error
	// GetUser loads a user by subject.
	GetUser(ctx context.Context, subject string) (User, error)
	// ListBindings returns the DingTalk bindings of a user ordered by
	// CorpID.
	ListBindings(ctx context.Context, subject string) ([]Binding, error)
	// FindBinding finds the binding for a DingTalk identity: by (CorpID,
	// UserID) when both are set, otherwise by UnionID (any corp; the most
	// recently used binding wins). ErrNotFound if none matches.
	FindBinding(ctx context.Context, id Identity) (Binding, error)

	// Browser sessions.

	// GetSession loads an unexpired session.
	GetSession(ctx context.Context, id string, now time.Time) (Session, error)
	// DeleteSession removes a session and its client links; ErrNotFound
	// if the session is absent.
	DeleteSession(ctx context.Context, id string) error
	// ListSessionClients returns the clients that were issued tokens in a
	// browser session and asked to be linked to it (TokenIssue.LinkSession),
	// ordered by ClientID (empty when none). RedeemAuthCode, CreateTokens
	// and RotateRefreshToken record the link in their own transaction
	// when the issue asks for it and the access token has a SessionID;
	// DeleteSession removes a session's links, DeleteExpired those whose
	// session no longer exists.
	ListSessionClients(ctx context.Context, sessionID string) ([]SessionClient, error)

	// Shared cache (DingTalk app tokens, suite tickets).

	// GetCache loads an unexpired entry.
	GetCache(ctx context.Context, key string, now time.Time) (CacheEntry, error)
	// PutCache creates or replaces an entry.
	PutCache(ctx context.Context, e CacheEntry) error
	// DeleteCache removes an entry; no error if it is absent.
	DeleteCache(ctx context.Context, key string) error

	// Maintenance.

	// DeleteExpired removes every row that expired before now: auth
	// requests, access tokens, refresh families past their expiry, sessions,
	// cache entries, and signing keys past RetiresAt.
	DeleteExpired(ctx context.Context, now time.Time) (GCResult, error)
	// Ping reports whether the database is reachable.
	Ping(ctx context.Context) error
	// Close releases the backend's resources.
	Close() error
}
