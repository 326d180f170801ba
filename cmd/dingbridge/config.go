package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"gopkg.in/yaml.v3"
)

// envPrefix starts every environment variable that overrides a config key.
const envPrefix = "DINGBRIDGE"

// defaultConfigPath is read when --config is not given; its absence is not
// an error.
const defaultConfigPath = "dingbridge.yaml"

// Config is the configuration file, key for key. Every scalar can be
// overridden by an environment variable (see envName); secrets can also be
// read from the file named by the matching …File key.
type Config struct {
	// Issuer is the exact issuer URL; it may contain a path.
	Issuer string `yaml:"issuer"`
	// Dev allows an http issuer, insecure cookies, and the default issuer.
	Dev bool `yaml:"dev"`
	// Listen is the HTTP listen address.
	Listen string `yaml:"listen"`
	// DebugListen, when set, is a loopback address serving Go's pprof
	// profiles (/debug/pprof/) on a listener of its own.
	DebugListen     string         `yaml:"debugListen"`
	Log             LogConfig      `yaml:"log"`
	Database        DatabaseConfig `yaml:"database"`
	Keys            KeysConfig     `yaml:"keys"`
	Cookies         CookiesConfig  `yaml:"cookies"`
	Tokens          TokensConfig   `yaml:"tokens"`
	ShutdownTimeout Duration       `yaml:"shutdownTimeout"`
	// DingTalk is the DingTalk login section.
	DingTalk DingTalkConfig `yaml:"dingtalk"`
	// Clients are declarative clients, upserted at serve start.
	Clients []ClientConfig `yaml:"clients"`
}

// LogConfig configures the slog logger.
type LogConfig struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
	// Format is json or text.
	Format string `yaml:"format"`
}

// DatabaseConfig selects and tunes the storage backend.
type DatabaseConfig struct {
	// URL is postgres://…, postgresql://… or sqlite:PATH.
	URL string `yaml:"url"`
	// MaxConns caps the PostgreSQL pool; 0 means the URL's pool_max_conns
	// or postgres.DefaultMaxConns.
	MaxConns int `yaml:"maxConns"`
	// AutoMigrate applies pending migrations when serve starts.
	AutoMigrate bool `yaml:"autoMigrate"`
}

// KeysConfig configures token signing keys.
type KeysConfig struct {
	// Algorithm is RS256 or ES256.
	Algorithm string `yaml:"algorithm"`
	// RotationPeriod is how long a signing key signs before the next one
	// takes over.
	RotationPeriod Duration `yaml:"rotationPeriod"`
	// EncryptionKey (32 bytes) encrypts private signing keys at rest.
	EncryptionKey     string `yaml:"encryptionKey"`
	EncryptionKeyFile string `yaml:"encryptionKeyFile"`
	// RSASigner chooses what computes RS256 signatures: auto (OpenSSL's
	// libcrypto when it loads, else Go's crypto/rsa), openssl (libcrypto
	// or fail to start) or go.
	RSASigner string `yaml:"rsaSigner"`
}

// CookiesConfig holds the securecookie keys of the browser session cookie.
type CookiesConfig struct {
	// HashKey (32 or 64 bytes) authenticates cookies.
	HashKey     string `yaml:"hashKey"`
	HashKeyFile string `yaml:"hashKeyFile"`
	// BlockKey (32 bytes) encrypts cookies.
	BlockKey     string `yaml:"blockKey"`
	BlockKeyFile string `yaml:"blockKeyFile"`
}

// TokensConfig holds the deployment's default lifetimes.
type TokensConfig struct {
	AccessTokenTTL  Duration `yaml:"accessTokenTTL"`
	IDTokenTTL      Duration `yaml:"idTokenTTL"`
	RefreshTokenTTL Duration `yaml:"refreshTokenTTL"`
	AuthRequestTTL  Duration `yaml:"authRequestTTL"`
	CodeTTL         Duration `yaml:"codeTTL"`
	SessionTTL      Duration `yaml:"sessionTTL"`
}

// ClientConfig is one declarative client.
type ClientConfig struct {
	ID                     string             `yaml:"id"`
	Name                   string             `yaml:"name"`
	Secret                 string             `yaml:"secret"`
	SecretFile             string             `yaml:"secretFile"`
	Public                 bool               `yaml:"public"`
	ApplicationType        string             `yaml:"applicationType"`
	RedirectURIs           []string           `yaml:"redirectURIs"`
	PostLogoutRedirectURIs []string           `yaml:"postLogoutRedirectURIs"`
	GrantTypes             []string           `yaml:"grantTypes"`
	Scopes                 []string           `yaml:"scopes"`
	InitiateLoginURI       string             `yaml:"initiateLoginURI"`
	BackchannelLogoutURI   string             `yaml:"backchannelLogoutURI"`
	AccessTokenFormat      string             `yaml:"accessTokenFormat"`
	AccessTokenTTL         Duration           `yaml:"accessTokenTTL"`
	IDTokenTTL             Duration           `yaml:"idTokenTTL"`
	RefreshTokenTTL        Duration           `yaml:"refreshTokenTTL"`
	RequirePKCE            bool               `yaml:"requirePKCE"`
	Policy                 ClientPolicyConfig `yaml:"policy"`
}

// ClientPolicyConfig mirrors storage.ClientPolicy.
type ClientPolicyConfig struct {
	AllowedCorps        []string `yaml:"allowedCorps"`
	MembersOnly         bool     `yaml:"membersOnly"`
	RequiredDepartments []int64  `yaml:"requiredDepartments"`
	AllowInactive       bool     `yaml:"allowInactive"`
	Email               string   `yaml:"email"`
	Groups              string   `yaml:"groups"`
	GroupsParents       bool     `yaml:"groupsParents"`
	ClaimsInIDToken     bool     `yaml:"claimsInIDToken"`
	AlwaysRelease       []string `yaml:"alwaysRelease"`
}

// Duration is a time.Duration written as a Go duration string ("90s",
// "12h").
type Duration time.Duration

// UnmarshalYAML parses a duration string. A bad value is reported as a
// *yaml.TypeError so that decoding goes on and every problem is collected.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := parseDuration(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: invalid duration %q", n.Line, n.Value)}}
	}
	*d = Duration(v)
	return nil
}

// String formats the duration like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

func parseDuration(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	return time.ParseDuration(s)
}

// defaultConfig is the configuration before the file and the environment are
// applied. The issuer has no default here: it defaults only in dev mode.
func defaultConfig() Config {
	return Config{
		Listen:   ":8080",
		Log:      LogConfig{Level: "info", Format: "json"},
		Database: DatabaseConfig{URL: "sqlite:dingbridge.db", AutoMigrate: true},
		Keys:     KeysConfig{Algorithm: "RS256", RotationPeriod: Duration(720 * time.Hour), RSASigner: "auto"},
		Tokens: TokensConfig{
			AccessTokenTTL:  Duration(time.Hour),
			IDTokenTTL:      Duration(time.Hour),
			RefreshTokenTTL: Duration(720 * time.Hour),
			AuthRequestTTL:  Duration(30 * time.Minute),
			CodeTTL:         Duration(time.Minute),
			SessionTTL:      Duration(12 * time.Hour),
		},
		ShutdownTimeout: Duration(15 * time.Second),
		DingTalk:        defaultDingTalkConfig(),
	}
}

// devIssuer is the issuer used when dev is true and no issuer is set.
const devIssuer = "http://localhost:8080"

// ConfigError lists every problem found in the configuration, each naming
// its key.
type ConfigError struct {
	Problems []string
}

func (e *ConfigError) Error() string {
	return "invalid configuration:\n  " + strings.Join(e.Problems, "\n  ")
}

// problems collects configuration problems.
type problems []string

func (p *problems) add(key, format string, args ...any) {
	*p = append(*p, key+": "+fmt.Sprintf(format, args...))
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &ConfigError{Problems: p}
}

// loadConfig builds the configuration: defaults, then the YAML file at path
// (a missing file is an error only when required), then environment
// overrides. Problems are returned as a *ConfigError together with the
// partly loaded config, so that validation can add its own.
func loadConfig(path string, required bool, getenv func(string) string) (Config, problems) {
	cfg := defaultConfig()
	var probs problems
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !required:
	case err != nil:
		probs = append(probs, fmt.Sprintf("config file: %v", err))
	default:
		probs = append(probs, decodeYAML(data, &cfg)...)
	}
	probs = append(probs, applyEnv(&cfg, getenv)...)
	if cfg.Dev && cfg.Issuer == "" {
		cfg.Issuer = devIssuer
	}
	return cfg, probs
}

var yamlLineRE = regexp.MustCompile(`^line (\d+): (.*)$`)
var yamlUnknownRE = regexp.MustCompile(`^field (\S+) not found in type`)
var yamlTypeRE = regexp.MustCompile(`^cannot unmarshal (!!\w+)(?: .*)? into (\S+)$`)

// decodeYAML decodes data into cfg rejecting unknown keys, and turns yaml's
// line-numbered messages into messages naming the key.
func decodeYAML(data []byte, cfg *Config) problems {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(cfg)
	if err == nil || errors.Is(err, io.EOF) { // io.EOF: only comments
		return nil
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return problems{fmt.Sprintf("config file: %v", err)}
	}
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root)
	lines := map[int]string{}
	indexKeyLines(&root, "", lines)
	var probs problems
	for _, msg := range te.Errors {
		m := yamlLineRE.FindStringSubmatch(msg)
		if m == nil {
			probs = append(probs, "config file: "+msg)
			continue
		}
		line, _ := strconv.Atoi(m[1])
		key, ok := lines[line]
		if !ok {
			key = "line " + m[1]
		}
		detail := m[2]
		if u := yamlUnknownRE.FindStringSubmatch(detail); u != nil {
			key, detail = keyThrough(key, u[1]), "unknown key"
		} else if t := yamlTypeRE.FindStringSubmatch(detail); t != nil {
			detail = fmt.Sprintf("cannot use a %s value here (want %s)", yamlKind(t[1]), t[2])
		}
		probs = append(probs, key+": "+detail)
	}
	return probs
}

// keyThrough cuts path after its last segment named name, so that an
// unknown key on a line with a flow mapping ("databse: {url: x}") is named
// itself rather than by the deepest key on its line.
func keyThrough(path, name string) string {
	segs := strings.Split(path, ".")
	for i := len(segs) - 1; i >= 0; i-- {
		if segs[i] == name {
			return strings.Join(segs[:i+1], ".")
		}
	}
	return path
}

func yamlKind(tag string) string {
	switch tag {
	case "!!seq":
		return "list"
	case "!!map":
		return "mapping"
	case "!!str":
		return "string"
	case "!!int", "!!float":
		return "number"
	case "!!bool":
		return "boolean"
	}
	return tag
}

// indexKeyLines records, for every line holding a mapping key or a list
// item, the dotted key path found there (clients[0].id).
func indexKeyLines(n *yaml.Node, path string, lines map[int]string) {
	set := func(line int, p string) {
		// The deepest path on a line wins: "- id: x" names clients[0].id.
		if old, ok := lines[line]; p != "" && (!ok || strings.HasPrefix(p, old)) {
			lines[line] = p
		}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			indexKeyLines(c, path, lines)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			set(k.Line, p)
			set(v.Line, p)
			indexKeyLines(v, p, lines)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			set(c.Line, p)
			indexKeyLines(c, p, lines)
		}
	}
}

// envName turns a key path into its environment variable:
// database.maxConns → DINGBRIDGE_DATABASE_MAX_CONNS,
// policy.claimsInIDToken → …_POLICY_CLAIMS_IN_ID_TOKEN.
func envName(path ...string) string {
	var b strings.Builder
	b.WriteString(envPrefix)
	for _, seg := range path {
		b.WriteByte('_')
		rs := []rune(seg)
		for i, r := range rs {
			if i > 0 && unicode.IsUpper(r) && wordStart(rs, i) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	return b.String()
}

// wordStart reports whether the upper-case rs[i] starts a word: after a
// lower-case letter or digit ("maxConns"), or as the last capital of an
// acronym followed by a word ("IDToken"), but not before a plural s
// ("URIs").
func wordStart(rs []rune, i int) bool {
	prev := rs[i-1]
	if unicode.IsLower(prev) || unicode.IsDigit(prev) {
		return true
	}
	if i+1 >= len(rs) || !unicode.IsLower(rs[i+1]) {
		return false
	}
	return !(rs[i+1] == 's' && i+2 == len(rs))
}

// scalarField is one overridable scalar of the configuration.
type scalarField struct {
	key string // dotted path, e.g. database.maxConns
	env string
	v   reflect.Value
}

var durationType = reflect.TypeFor[Duration]()

// scalarFields lists every scalar key of cfg in file order, including those
// of the clients present in cfg (clients.0.secret → DINGBRIDGE_CLIENTS_0_SECRET).
func scalarFields(cfg *Config) []scalarField {
	var out []scalarField
	var walk func(v reflect.Value, keys, envSegs []string)
	walk = func(v reflect.Value, keys, envSegs []string) {
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			name := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if name == "" || name == "-" {
				continue
			}
			fv := v.Field(i)
			k := append(append([]string(nil), keys...), name)
			e := append(append([]string(nil), envSegs...), name)
			switch {
			case f.Type == durationType, fv.Kind() == reflect.String, fv.Kind() == reflect.Bool,
				fv.Kind() == reflect.Int, fv.Kind() == reflect.Int64:
				out = append(out, scalarField{key: strings.Join(k, "."), env: envName(e...), v: fv})
			case fv.Kind() == reflect.Struct:
				walk(fv, k, e)
			case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.Struct:
				for j := range fv.Len() {
					idx := strconv.Itoa(j)
					kk := append(append([]string(nil), keys...), fmt.Sprintf("%s[%d]", name, j))
					walk(fv.Index(j), kk, append(e, idx))
				}
			}
		}
	}
	walk(reflect.ValueOf(cfg).Elem(), nil, nil)
	return out
}

// applyEnv overrides every scalar whose environment variable is set and not
// empty.
func applyEnv(cfg *Config, getenv func(string) string) problems {
	var probs problems
	for _, f := range scalarFields(cfg) {
		s := getenv(f.env)
		if s == "" {
			continue
		}
		where := f.key + " (" + f.env + ")"
		switch {
		case f.v.Type() == durationType:
			d, err := parseDuration(s)
			if err != nil {
				probs.add(where, "invalid duration %q", s)
				continue
			}
			f.v.SetInt(int64(d))
		case f.v.Kind() == reflect.String:
			f.v.SetString(s)
		case f.v.Kind() == reflect.Bool:
			b, err := strconv.ParseBool(s)
			if err != nil {
				probs.add(where, "invalid boolean %q", s)
				continue
			}
			f.v.SetBool(b)
		case f.v.Kind() == reflect.Int, f.v.Kind() == reflect.Int64:
			n, err := strconv.ParseInt(s, 10, f.v.Type().Bits())
			if err != nil {
				probs.add(where, "invalid integer %q", s)
				continue
			}
			f.v.SetInt(n)
		}
	}
	return probs
}
