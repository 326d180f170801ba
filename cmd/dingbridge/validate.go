package main

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/dingbridge/dingbridge/provider"
	"github.com/dingbridge/dingbridge/storage"
)

// settings is a validated configuration with its secrets loaded and decoded.
type settings struct {
	cfg      Config
	logLevel slog.Level
	db       database
	// Key material; a nil key is missing (allowed only with SQLite, where
	// loadKeyMaterial generates it into the keys file).
	encryptionKey  []byte
	cookieHashKey  []byte
	cookieBlockKey []byte
	clients        []clientSpec
	dingtalk       dingTalkSettings
}

// database is a parsed database.url.
type database struct {
	// driver is "sqlite" or "postgres".
	driver string
	// path is the SQLite file; url the PostgreSQL DSN.
	path        string
	url         string
	maxConns    int32
	autoMigrate bool
}

// clientSpec is a declarative client with its plain secret, which is hashed
// when the client is stored.
type clientSpec struct {
	client storage.Client
	secret string
}

var (
	applicationTypes   = []string{"web", "native", "user_agent"}
	knownGrantTypes    = []string{"authorization_code", "refresh_token", "client_credentials", provider.GrantTokenExchange}
	defaultGrantTypes  = []string{"authorization_code", "refresh_token"}
	accessTokenFormats = []string{"", "opaque", "jwt"}
	emailPolicies      = []string{"", "org", "directory", "omit"}
	groupsPolicies     = []string{"", "names", "ids", "paths"}
	// releasableScopes are the scopes policy.alwaysRelease may name; phone
	// is released only when asked for.
	releasableScopes = []string{"profile", "email", "groups", "dingtalk"}
)

// validate checks cfg and loads its secrets. Every problem is reported, each
// naming its key, after the problems found while loading (loadProbs).
func validate(cfg Config, loadProbs problems) (*settings, error) {
	probs := append(problems(nil), loadProbs...)
	s := &settings{cfg: cfg}

	validateIssuer(cfg, &probs)
	if cfg.Listen == "" {
		probs.add("listen", "required")
	} else if _, _, err := net.SplitHostPort(cfg.Listen); err != nil {
		probs.add("listen", "invalid address %q (want host:port or :port)", cfg.Listen)
	}
	if cfg.DebugListen != "" && !isLoopbackAddr(cfg.DebugListen) {
		probs.add("debugListen", "invalid address %q (want a loopback host:port, e.g. 127.0.0.1:6060)", cfg.DebugListen)
	}
	if err := s.logLevel.UnmarshalText([]byte(cfg.Log.Level)); err != nil {
		probs.add("log.level", "invalid level %q (want debug, info, warn or error)", cfg.Log.Level)
	}
	if cfg.Log.Format != "json" && cfg.Log.Format != "text" {
		probs.add("log.format", "invalid format %q (want json or text)", cfg.Log.Format)
	}
	s.db = parseDatabase(cfg.Database, &probs)

	if cfg.Keys.Algorithm != "RS256" && cfg.Keys.Algorithm != "ES256" {
		probs.add("keys.algorithm", "invalid algorithm %q (want RS256 or ES256)", cfg.Keys.Algorithm)
	}
	switch cfg.Keys.RSASigner {
	case "auto", "openssl", "go":
	default:
		probs.add("keys.rsaSigner", "invalid signer %q (want auto, openssl or go)", cfg.Keys.RSASigner)
	}
	positive(&probs, "keys.rotationPeriod", cfg.Keys.RotationPeriod)
	if lt := tokenLifetime(cfg); cfg.Keys.RotationPeriod > 0 && time.Duration(cfg.Keys.RotationPeriod) < 2*lt {
		probs.add("keys.rotationPeriod", "must be at least twice the longest token lifetime (tokens.idTokenTTL, tokens.accessTokenTTL: %s)", lt)
	}
	postgres := s.db.driver == "postgres"
	s.encryptionKey = binaryKey(&probs, "keys.encryptionKey", cfg.Keys.EncryptionKey, cfg.Keys.EncryptionKeyFile, postgres, 32)
	s.cookieHashKey = binaryKey(&probs, "cookies.hashKey", cfg.Cookies.HashKey, cfg.Cookies.HashKeyFile, postgres, 32, 64)
	s.cookieBlockKey = binaryKey(&probs, "cookies.blockKey", cfg.Cookies.BlockKey, cfg.Cookies.BlockKeyFile, postgres, 32)

	positive(&probs, "tokens.accessTokenTTL", cfg.Tokens.AccessTokenTTL)
	positive(&probs, "tokens.idTokenTTL", cfg.Tokens.IDTokenTTL)
	positive(&probs, "tokens.refreshTokenTTL", cfg.Tokens.RefreshTokenTTL)
	positive(&probs, "tokens.authRequestTTL", cfg.Tokens.AuthRequestTTL)
	positive(&probs, "tokens.codeTTL", cfg.Tokens.CodeTTL)
	positive(&probs, "tokens.sessionTTL", cfg.Tokens.SessionTTL)
	positive(&probs, "shutdownTimeout", cfg.ShutdownTimeout)
	s.dingtalk = validateDingTalk(cfg.DingTalk, &probs)

	seen := map[string]int{}
	for i, cc := range cfg.Clients {
		key := fmt.Sprintf("clients[%d]", i)
		if cc.ID != "" {
			if j, dup := seen[cc.ID]; dup {
				probs.add(key+".id", "duplicate client id %q (also clients[%d])", cc.ID, j)
			}
			seen[cc.ID] = i
		}
		s.clients = append(s.clients, validateClient(key, cc, &probs))
	}
	if err := probs.err(); err != nil {
		return nil, err
	}
	return s, nil
}

func validateIssuer(cfg Config, probs *problems) {
	if cfg.Issuer == "" {
		probs.add("issuer", "required (it defaults to %s only with dev: true)", devIssuer)
		return
	}
	u, err := url.Parse(cfg.Issuer)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		probs.add("issuer", "invalid URL %q (want https://host[/path])", cfg.Issuer)
	case u.Scheme != "https" && !cfg.Dev:
		probs.add("issuer", "must be https outside dev mode")
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		probs.add("issuer", "must not have a query, fragment or user info")
	case strings.HasSuffix(u.Path, "/"):
		probs.add("issuer", "must not end with /")
	}
}

// parseDatabase selects the backend by an explicit switch on the URL.
func parseDatabase(c DatabaseConfig, probs *problems) database {
	db := database{autoMigrate: c.AutoMigrate}
	switch {
	case strings.HasPrefix(c.URL, "postgres://"), strings.HasPrefix(c.URL, "postgresql://"):
		db.driver, db.url = "postgres", c.URL
		if _, err := url.Parse(c.URL); err != nil {
			probs.add("database.url", "invalid PostgreSQL URL")
		}
	case strings.HasPrefix(c.URL, "sqlite://"):
		probs.add("database.url", "use sqlite:PATH, e.g. sqlite:/var/lib/dingbridge/dingbridge.db")
	case strings.HasPrefix(c.URL, "sqlite:"):
		db.driver, db.path = "sqlite", strings.TrimPrefix(c.URL, "sqlite:")
		if db.path == "" {
			probs.add("database.url", "sqlite: needs a file path, e.g. sqlite:dingbridge.db")
		}
	case c.URL == "":
		probs.add("database.url", "required")
	default:
		probs.add("database.url", "unsupported database URL (want postgres://…, postgresql://… or sqlite:PATH)")
	}
	if c.MaxConns < 0 || c.MaxConns > math.MaxInt32 {
		probs.add("database.maxConns", "must be between 0 and %d", math.MaxInt32)
	} else {
		db.maxConns = int32(c.MaxConns)
	}
	return db
}

func positive(probs *problems, key string, d Duration) {
	if d <= 0 {
		probs.add(key, "must be a positive duration")
	}
}

// readSecret returns the secret set inline or in file (trimmed of
// surrounding white space), reporting when both are set or the file cannot
// be read.
func readSecret(probs *problems, key, inline, file string) (string, bool) {
	switch {
	case inline != "" && file != "":
		probs.add(key, "set %s or %sFile, not both", key, key)
		return "", false
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			probs.add(key+"File", "%v", err)
			return "", false
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			probs.add(key+"File", "file %s is empty", file)
			return "", false
		}
		return v, true
	case inline != "":
		return inline, true
	}
	return "", false
}

// binaryKey loads and decodes a key of one of the given lengths. A missing
// key is a problem only when required.
func binaryKey(probs *problems, key, inline, file string, required bool, lengths ...int) []byte {
	n := len(*probs)
	v, ok := readSecret(probs, key, inline, file)
	if !ok {
		if required && len(*probs) == n {
			probs.add(key, "required with PostgreSQL (%s, base64)", byteLengths(lengths))
		}
		return nil
	}
	b, err := decodeKey(v)
	if err != nil {
		probs.add(key, "%v", err)
		return nil
	}
	if !slices.Contains(lengths, len(b)) {
		probs.add(key, "must be %s, got %d bytes", byteLengths(lengths), len(b))
		return nil
	}
	return b
}

func byteLengths(lengths []int) string {
	s := make([]string, len(lengths))
	for i, l := range lengths {
		s[i] = fmt.Sprint(l)
	}
	return strings.Join(s, " or ") + " bytes"
}

// decodeKey decodes a binary key written as base64 (standard or URL-safe
// alphabet, padding optional) or as hex after a "hex:" prefix. The value
// never appears in the error.
func decodeKey(v string) ([]byte, error) {
	if h, ok := strings.CutPrefix(v, "hex:"); ok {
		b, err := hex.DecodeString(h)
		if err != nil {
			return nil, errors.New("invalid hex after the hex: prefix")
		}
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(v); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("invalid base64 (write hex as hex:…)")
}

// validateClient checks one declarative client and converts it, secret
// hashed. Problems of single keys are reported under their key; when there
// are none, provider.ValidateClient checks the protocol rules that span
// fields (a web client is confidential, http redirect URIs only for
// loopback, refresh_token needs authorization_code, known scopes).
func validateClient(key string, cc ClientConfig, probs *problems) clientSpec {
	before := len(*probs)
	if cc.ID == "" {
		probs.add(key+".id", "required")
	}
	secret, hasSecret := readSecret(probs, key+".secret", cc.Secret, cc.SecretFile)
	if cc.Public && (cc.Secret != "" || cc.SecretFile != "") {
		probs.add(key+".secret", "a public client has no secret")
	}
	if !cc.Public && !hasSecret && cc.Secret == "" && cc.SecretFile == "" {
		probs.add(key+".secret", "required for a confidential client (set secret or secretFile, or public: true)")
	}
	appType := cc.ApplicationType
	if appType == "" {
		appType = defaultApplicationType(cc.Public)
	}
	if !slices.Contains(applicationTypes, appType) {
		probs.add(key+".applicationType", "invalid %q (want web, native or user_agent)", cc.ApplicationType)
	}
	grants := cc.GrantTypes
	if len(grants) == 0 {
		grants = defaultGrantTypes
	}
	for j, g := range grants {
		if !slices.Contains(knownGrantTypes, g) {
			probs.add(fmt.Sprintf("%s.grantTypes[%d]", key, j), "unknown grant type %q (want %s)", g, strings.Join(knownGrantTypes, ", "))
		}
	}
	if slices.Contains(grants, "authorization_code") && len(cc.RedirectURIs) == 0 {
		probs.add(key+".redirectURIs", "required for the authorization_code grant")
	}
	for j, u := range cc.RedirectURIs {
		checkClientURL(probs, fmt.Sprintf("%s.redirectURIs[%d]", key, j), u)
	}
	for j, u := range cc.PostLogoutRedirectURIs {
		checkClientURL(probs, fmt.Sprintf("%s.postLogoutRedirectURIs[%d]", key, j), u)
	}
	if cc.InitiateLoginURI != "" {
		checkHTTPURL(probs, key+".initiateLoginURI", cc.InitiateLoginURI)
	}
	if cc.BackchannelLogoutURI != "" {
		checkHTTPURL(probs, key+".backchannelLogoutURI", cc.BackchannelLogoutURI)
	}
	if !slices.Contains(accessTokenFormats, cc.AccessTokenFormat) {
		probs.add(key+".accessTokenFormat", "invalid %q (want opaque or jwt)", cc.AccessTokenFormat)
	}
	for name, d := range map[string]Duration{"accessTokenTTL": cc.AccessTokenTTL, "idTokenTTL": cc.IDTokenTTL, "refreshTokenTTL": cc.RefreshTokenTTL} {
		if d < 0 {
			probs.add(key+"."+name, "must not be negative")
		}
	}
	if !slices.Contains(emailPolicies, cc.Policy.Email) {
		probs.add(key+".policy.email", "invalid %q (want org, directory or omit)", cc.Policy.Email)
	}
	if !slices.Contains(groupsPolicies, cc.Policy.Groups) {
		probs.add(key+".policy.groups", "invalid %q (want names, ids or paths)", cc.Policy.Groups)
	}
	for j, sc := range cc.Policy.AlwaysRelease {
		if !slices.Contains(releasableScopes, sc) {
			probs.add(fmt.Sprintf("%s.policy.alwaysRelease[%d]", key, j), "invalid %q (want %s)", sc, strings.Join(releasableScopes, ", "))
		}
	}
	spec := clientSpec{
		secret: secret,
		client: storage.Client{
			ID:                     cc.ID,
			Name:                   cc.Name,
			Public:                 cc.Public,
			ApplicationType:        appType,
			RedirectURIs:           cc.RedirectURIs,
			PostLogoutRedirectURIs: cc.PostLogoutRedirectURIs,
			GrantTypes:             slices.Clone(grants),
			Scopes:                 cc.Scopes,
			InitiateLoginURI:       cc.InitiateLoginURI,
			BackchannelLogoutURI:   cc.BackchannelLogoutURI,
			AccessTokenFormat:      cc.AccessTokenFormat,
			AccessTokenTTL:         time.Duration(cc.AccessTokenTTL),
			IDTokenTTL:             time.Duration(cc.IDTokenTTL),
			RefreshTokenTTL:        time.Duration(cc.RefreshTokenTTL),
			RequirePKCE:            cc.RequirePKCE,
			Declarative:            true,
			Policy: storage.ClientPolicy{
				AllowedCorps:        cc.Policy.AllowedCorps,
				MembersOnly:         cc.Policy.MembersOnly,
				RequiredDepartments: cc.Policy.RequiredDepartments,
				AllowInactive:       cc.Policy.AllowInactive,
				Email:               cc.Policy.Email,
				Groups:              cc.Policy.Groups,
				GroupsParents:       cc.Policy.GroupsParents,
				ClaimsInIDToken:     cc.Policy.ClaimsInIDToken,
				AlwaysRelease:       cc.Policy.AlwaysRelease,
			},
		},
	}
	if hasSecret {
		spec.client.SecretHash = provider.HashClientSecret(secret)
	}
	if len(*probs) == before {
		for _, err := range unjoin(provider.ValidateClient(spec.client)) {
			probs.add(key, "%v", err)
		}
	}
	return spec
}

// defaultApplicationType is "web" for confidential clients and
// "user_agent" (a browser app) for public ones.
func defaultApplicationType(public bool) string {
	if public {
		return "user_agent"
	}
	return "web"
}

// unjoin splits an errors.Join error into its parts.
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// checkClientURL requires an absolute URL without a fragment.
func checkClientURL(probs *problems, key, raw string) {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Scheme == "" || (u.Host == "" && u.Opaque == "" && u.Path == ""):
		probs.add(key, "invalid URL %q (want an absolute URL)", raw)
	case u.Fragment != "" || strings.Contains(raw, "#"):
		probs.add(key, "must not have a fragment")
	}
}

// checkHTTPURL requires an absolute http(s) URL; provider.ValidateClient
// then allows http only for loopback hosts.
func checkHTTPURL(probs *problems, key, raw string) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		probs.add(key, "invalid URL %q (want https://…)", raw)
	}
}
