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
	// Done cannot be completed: a failed login's marker).
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
	// (client credentials, token exchange).
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
	// browser session, ordered by ClientID (empty when none).
	// RedeemAuthCode, CreateTokens and RotateRefreshToken record the link
	// in their own transaction whenever the access token has a SessionID;
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

// Client is a registered OIDC relying party.
type Client struct {
	// ID is the client_id; unique, never empty.
	ID string
	// Name is shown on login pages.
	Name string
	// SecretHash is the SHA-256 digest of the client secret; empty for
	// public clients.
	SecretHash []byte
	// Public clients have no secret and must use PKCE.
	Public bool
	// ApplicationType is "web", "native" or "user_agent".
	ApplicationType string
	// RedirectURIs are matched exactly (native clients: RFC 8252 loopback
	// port rule, applied by the provider).
	RedirectURIs []string
	// PostLogoutRedirectURIs are matched exactly at end_session.
	PostLogoutRedirectURIs []string
	// GrantTypes the client may use, e.g. "authorization_code",
	// "refresh_token", "client_credentials".
	GrantTypes []string
	// Scopes the client may request; empty means the provider's default.
	Scopes []string
	// InitiateLoginURI is the OIDC Core §4 third-party-initiated login URI.
	InitiateLoginURI string
	// BackchannelLogoutURI receives logout tokens when a session ends.
	BackchannelLogoutURI string
	// AccessTokenFormat is "opaque" (default, also when empty) or "jwt".
	AccessTokenFormat string
	// Token lifetimes; zero means the deployment's default.
	AccessTokenTTL  time.Duration
	IDTokenTTL      time.Duration
	RefreshTokenTTL time.Duration
	// RequirePKCE forces PKCE on a confidential client.
	RequirePKCE bool
	// Policy decides who may log in and which claims are released.
	Policy ClientPolicy
	// Declarative clients come from the config file and are upserted at
	// start.
	Declarative bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// ClientPolicy holds the per-client login and claim policy. Backends store
// it as one JSON document, so new fields need no migration.
type ClientPolicy struct {
	// AllowedCorps lists the corpIds whose members may log in; empty
	// allows every configured corp.
	AllowedCorps []string `json:"allowed_corps,omitempty"`
	// MembersOnly refuses people who are not members of the corp.
	MembersOnly bool `json:"members_only,omitempty"`
	// RequiredDepartments, when set, admits only members of one of these
	// department ids (or their sub-departments).
	RequiredDepartments []int64 `json:"required_departments,omitempty"`
	// AllowInactive admits users whose DingTalk account is not active.
	AllowInactive bool `json:"allow_inactive,omitempty"`
	// Email is "org" (org email, verified), "directory" (directory email,
	// unverified) or "omit".
	Email string `json:"email,omitempty"`
	// Groups is "names", "ids" or "paths"; empty means names.
	Groups string `json:"groups,omitempty"`
	// GroupsParents adds every parent department to groups.
	GroupsParents bool `json:"groups_parents,omitempty"`
	// ClaimsInIDToken puts the scope claims in the ID token too, not only
	// at userinfo.
	ClaimsInIDToken bool `json:"claims_in_id_token,omitempty"`
	// AlwaysRelease lists scopes whose claims are released even when the
	// client did not request them (e.g. Keycloak asks only for openid).
	// The phone scope is never released this way.
	AlwaysRelease []string `json:"always_release,omitempty"`
}

// AuthRequest is a pending or completed OIDC authorization request.
type AuthRequest struct {
	ID                  string
	ClientID            string
	RedirectURI         string
	Scopes              []string
	ResponseType        string
	ResponseMode        string
	State               string
	Nonce               string
	CodeChallenge       string
	CodeChallengeMethod string
	Prompt              []string
	// MaxAge is the max_age parameter in seconds; nil when not sent.
	MaxAge             *int64
	LoginHint          string
	IDTokenHintSubject string
	UILocales          []string
	ACRValues          []string
	// Params keeps further authorization parameters the login flows read
	// (e.g. "corp_id").
	Params    map[string]string
	CreatedAt time.Time
	ExpiresAt time.Time

	// Set by CompleteLogin.
	Done      bool
	Subject   string
	SessionID string
	AuthTime  time.Time
	AMR       []string

	// Set by CompleteLogin or SaveAuthCode.
	CodeHash      []byte
	CodeExpiresAt time.Time
}

// LoginCompletion is what one successful login writes, in one transaction.
type LoginCompletion struct {
	// AuthRequestID is the request to mark done; empty when the login was
	// not started by an authorization request (third-party-initiated).
	AuthRequestID string
	// Request, when set, is a pending request that was never stored (the
	// provider keeps pending requests sealed in the browser's URLs and
	// cookies, not in the database), and AuthRequestID must equal its ID.
	// CompleteLogin inserts it, done, with the completion's fields and
	// code, in the same transaction, instead of updating a stored row.
	// A row with that ID already stored (a completed or failed login of
	// the same request), a Request whose ExpiresAt is not after Now, or
	// a client that no longer exists yield ErrNotFound, and nothing is
	// written, as for a stored request that is done or expired.
	Request *AuthRequest
	// Identity, when set, is resolved to a user: a binding with the same
	// (CorpID, UserID) gives its subject; otherwise a binding with the
	// same UnionID in the same corp (which gains the UserID), otherwise a
	// binding with the same UnionID in any corp (a second binding is
	// created for this corp: one person, one subject, a binding per corp).
	// A matched binding is updated with the identity's non-empty ids and
	// profile; with no match a user with NewSubject and a binding are
	// created. When nil, Subject names an existing user.
	Identity   *Identity
	NewSubject string
	Subject    string
	// Session is created, or replaced when a session with its ID exists.
	// Its Subject is filled in from the resolved user.
	Session  Session
	AuthTime time.Time
	AMR      []string
	// CodeHash, when set, is the digest of the authorization code issued
	// for the request, valid until CodeExpiresAt: the code is issued in
	// the same transaction that completes the login.
	CodeHash      []byte
	CodeExpiresAt time.Time
	Now           time.Time
}

// TokenIssue is the set of tokens one token response stores.
type TokenIssue struct {
	Access AccessToken
	// Refresh is nil when no refresh token is issued.
	Refresh *RefreshToken
}

// AccessToken is the stored record of an issued access token (opaque or
// JWT); the token string itself is never stored.
type AccessToken struct {
	ID        string
	ClientID  string
	Subject   string
	Audience  []string
	Scopes    []string
	SessionID string
	// FamilyID links the token to the refresh family it was issued with.
	FamilyID  string
	AuthTime  time.Time
	AMR       []string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// AccessTokenUser is an access token with the user it was issued to, as
// GetAccessTokenUser returns them.
type AccessTokenUser struct {
	Token AccessToken
	User  User
	// Bindings are the user's DingTalk bindings in ListBindings order.
	Bindings []Binding
	// SessionFound reports that the token names a session and GetSession
	// would find it (it exists and has not expired).
	SessionFound bool
	// SessionCorpID is that session's CorpID; empty when SessionFound is
	// false.
	SessionCorpID string
}

// RefreshToken is one link of a rotation chain (family).
type RefreshToken struct {
	ID string
	// TokenHash is the SHA-256 digest of the token value.
	TokenHash []byte
	FamilyID  string
	ClientID  string
	Subject   string
	Audience  []string
	Scopes    []string
	SessionID string
	AuthTime  time.Time
	AMR       []string
	CreatedAt time.Time
	// ExpiresAt is this token's expiry; the family lives until the last of
	// its tokens expires.
	ExpiresAt time.Time
	// RotatedAt is set once the token has been exchanged for a successor.
	RotatedAt *time.Time
	// RevokedAt is set when the family has been revoked.
	RevokedAt *time.Time
}

// SigningKey is a token signing key pair.
type SigningKey struct {
	// ID is the JWK kid.
	ID string
	// Generation orders keys; unique, so only one replica creates a given
	// next key.
	Generation int64
	// Algorithm is a JWS algorithm name ("RS256", "ES256").
	Algorithm string
	// PrivateKeyEncrypted is the private key, encrypted by the provider.
	PrivateKeyEncrypted []byte
	// PublicKeyJWK is the public key as a JWK JSON document.
	PublicKeyJWK []byte
	CreatedAt    time.Time
	// ActivatesAt is when the key starts signing; it is published from
	// CreatedAt on.
	ActivatesAt time.Time
	// RetiresAt is when the key leaves the key set; zero while unknown.
	RetiresAt time.Time
}

// User is a person known to the bridge, identified by a stable opaque
// subject that is never reused.
type User struct {
	Subject   string
	CreatedAt time.Time
	// UpdatedAt is when Profile last changed.
	UpdatedAt time.Time
	// Profile is the snapshot of the most recent login.
	Profile Profile
}

// Identity is what a DingTalk login yields; any id may be empty, but at
// least one of UserID (with CorpID) or UnionID is set.
type Identity struct {
	CorpID  string
	UserID  string
	UnionID string
	Profile Profile
}

// Binding links a DingTalk identity in one corp to a user.
type Binding struct {
	CorpID      string
	UserID      string
	UnionID     string
	Subject     string
	Profile     Profile
	CreatedAt   time.Time
	UpdatedAt   time.Time
	LastLoginAt time.Time
}

// Profile is a snapshot of a person's DingTalk profile. Backends store it as
// one JSON document.
type Profile struct {
	Name        string       `json:"name,omitempty"`
	Nick        string       `json:"nick,omitempty"`
	Avatar      string       `json:"avatar,omitempty"`
	Email       string       `json:"email,omitempty"`
	OrgEmail    string       `json:"org_email,omitempty"`
	Mobile      string       `json:"mobile,omitempty"`
	StateCode   string       `json:"state_code,omitempty"`
	JobNumber   string       `json:"job_number,omitempty"`
	Title       string       `json:"title,omitempty"`
	HiredDate   *time.Time   `json:"hired_date,omitempty"`
	DeptIDs     []int64      `json:"dept_ids,omitempty"`
	Departments []Department `json:"departments,omitempty"`
	Admin       bool         `json:"admin,omitempty"`
	Boss        bool         `json:"boss,omitempty"`
	SysLevel    int          `json:"sys_level,omitempty"`
	Active      bool         `json:"active,omitempty"`
	// AppAdmin is set when the person logged in through the app's admin
	// console (DingTalk admin-console SSO).
	AppAdmin bool   `json:"app_admin,omitempty"`
	Locale   string `json:"locale,omitempty"`
	CorpName string `json:"corp_name,omitempty"`
}

// Department is a department a person belongs to, with its ancestors.
type Department struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// ParentIDs lists ancestors from the direct parent up to the root.
	ParentIDs []int64 `json:"parent_ids,omitempty"`
	// Path is the department's names from the root, joined by "/".
	Path string `json:"path,omitempty"`
}

// Session is a browser SSO session, referenced by a securecookie.
type Session struct {
	ID        string
	Subject   string
	AuthTime  time.Time
	AMR       []string
	CorpID    string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// SessionClient records that a client was issued tokens in a browser
// session: the clients to tell when the session ends.
type SessionClient struct {
	SessionID string
	ClientID  string
	// Subject is the user the tokens were issued for.
	Subject string
	// CreatedAt is when the first tokens were issued.
	CreatedAt time.Time
}

// CacheEntry is a small shared value with an expiry.
type CacheEntry struct {
	Key       string
	Value     []byte
	ExpiresAt time.Time
}

// GCResult counts what DeleteExpired removed.
type GCResult struct {
	AuthRequests  int64
	AccessTokens  int64
	RefreshTokens int64
	Sessions      int64
	CacheEntries  int64
	SigningKeys   int64
}

// Migration is one schema migration and whether it has been applied.
type Migration struct {
	Name      string
	Applied   bool
	AppliedAt time.Time
}
