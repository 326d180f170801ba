package storage

import "time"

// The records the Storage methods save and load.

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
	// LinkSession records the access token's client as issued tokens in
	// the access token's session (Storage.ListSessionClients), so that
	// the session's end is announced to it. The provider sets it for
	// clients with a back-channel logout URI.
	LinkSession bool
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
	// User is the token's user; its Profile is left zero when Bindings
	// is not empty, since claims then show a binding's profile.
	User User
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
