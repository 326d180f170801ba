package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dingbridge/dingbridge/provider"
	"github.com/dingbridge/dingbridge/storage"
)

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// int64List is a repeatable integer flag.
type int64List []int64

func (l *int64List) String() string { return fmt.Sprint([]int64(*l)) }

func (l *int64List) Set(v string) error {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return errors.New("not an integer")
	}
	*l = append(*l, n)
	return nil
}

// clientFlags are the client fields create and update share.
type clientFlags struct {
	name, appType, initiateLoginURI, backchannelLogoutURI, tokenFormat string
	accessTTL, idTTL, refreshTTL                                       time.Duration
	requirePKCE                                                        bool
	redirectURIs, postLogoutURIs, grantTypes, scopes                   stringList
	allowedCorps, alwaysRelease                                        stringList
	departments                                                        int64List
	membersOnly, allowInactive, groupsParents, claimsInIDToken         bool
	email, groups                                                      string
}

func registerClientFlags(fs *flag.FlagSet) *clientFlags {
	f := &clientFlags{}
	fs.StringVar(&f.name, "name", "", "display `name` shown on login pages")
	fs.StringVar(&f.appType, "application-type", "", "web, native or user_agent (default web; user_agent with --public)")
	fs.Var(&f.redirectURIs, "redirect-uri", "allowed redirect `URI` (repeatable; matched exactly)")
	fs.Var(&f.postLogoutURIs, "post-logout-redirect-uri", "allowed post-logout redirect `URI` (repeatable)")
	fs.Var(&f.grantTypes, "grant-type", "allowed `grant` type: authorization_code, refresh_token, client_credentials, "+provider.GrantTokenExchange+" (repeatable; default the first two)")
	fs.Var(&f.scopes, "scope", "allowed `scope` (repeatable; default every supported scope)")
	fs.StringVar(&f.initiateLoginURI, "initiate-login-uri", "", "third-party-initiated login `URI`")
	fs.StringVar(&f.backchannelLogoutURI, "backchannel-logout-uri", "", "back-channel logout `URI`")
	fs.StringVar(&f.tokenFormat, "access-token-format", "", "opaque (default) or jwt")
	fs.DurationVar(&f.accessTTL, "access-token-ttl", 0, "access token lifetime (0 = tokens.accessTokenTTL)")
	fs.DurationVar(&f.idTTL, "id-token-ttl", 0, "ID token lifetime (0 = tokens.idTokenTTL)")
	fs.DurationVar(&f.refreshTTL, "refresh-token-ttl", 0, "refresh token lifetime (0 = tokens.refreshTokenTTL)")
	fs.BoolVar(&f.requirePKCE, "require-pkce", false, "require PKCE from this confidential client too")
	fs.Var(&f.allowedCorps, "allowed-corp", "DingTalk `corpId` whose members may log in (repeatable; default every corp)")
	fs.BoolVar(&f.membersOnly, "members-only", false, "refuse people who are not members of the corp")
	fs.Var(&f.departments, "required-department", "DingTalk department `id` required (repeatable; sub-departments count)")
	fs.BoolVar(&f.allowInactive, "allow-inactive", false, "admit users whose DingTalk account is not active")
	fs.StringVar(&f.email, "email", "", "email claim source: org, directory or omit")
	fs.StringVar(&f.groups, "groups", "", "groups claim form: names (default), ids or paths")
	fs.BoolVar(&f.groupsParents, "groups-parents", false, "add every parent department to groups")
	fs.BoolVar(&f.claimsInIDToken, "claims-in-id-token", false, "put scope claims in the ID token too")
	fs.Var(&f.alwaysRelease, "always-release", "`scope` whose claims are released even when not requested: profile, email, groups, dingtalk (repeatable)")
	return f
}

// apply copies the flags that were given on the command line into c.
func (f *clientFlags) apply(fs *flag.FlagSet, c *storage.Client) {
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "name":
			c.Name = f.name
		case "application-type":
			c.ApplicationType = f.appType
		case "redirect-uri":
			c.RedirectURIs = f.redirectURIs
		case "post-logout-redirect-uri":
			c.PostLogoutRedirectURIs = f.postLogoutURIs
		case "grant-type":
			c.GrantTypes = f.grantTypes
		case "scope":
			c.Scopes = f.scopes
		case "initiate-login-uri":
			c.InitiateLoginURI = f.initiateLoginURI
		case "backchannel-logout-uri":
			c.BackchannelLogoutURI = f.backchannelLogoutURI
		case "access-token-format":
			c.AccessTokenFormat = f.tokenFormat
		case "access-token-ttl":
			c.AccessTokenTTL = f.accessTTL
		case "id-token-ttl":
			c.IDTokenTTL = f.idTTL
		case "refresh-token-ttl":
			c.RefreshTokenTTL = f.refreshTTL
		case "require-pkce":
			c.RequirePKCE = f.requirePKCE
		case "allowed-corp":
			c.Policy.AllowedCorps = f.allowedCorps
		case "members-only":
			c.Policy.MembersOnly = f.membersOnly
		case "required-department":
			c.Policy.RequiredDepartments = f.departments
		case "allow-inactive":
			c.Policy.AllowInactive = f.allowInactive
		case "email":
			c.Policy.Email = f.email
		case "groups":
			c.Policy.Groups = f.groups
		case "groups-parents":
			c.Policy.GroupsParents = f.groupsParents
		case "claims-in-id-token":
			c.Policy.ClaimsInIDToken = f.claimsInIDToken
		case "always-release":
			c.Policy.AlwaysRelease = f.alwaysRelease
		}
	})
}

// oneID returns the single positional client id.
func oneID(args []string) (string, error) {
	if len(args) != 1 || args[0] == "" {
		return "", usagef("want exactly one client ID")
	}
	return args[0], nil
}

// errDeclarative refuses to change a client the config file manages.
func errDeclarative(id string) error {
	return fmt.Errorf("client %q is managed by the configuration file (clients:); change it there and restart serve", id)
}

// printSecret shows a client secret, once.
func printSecret(w io.Writer, id, secret string) {
	fmt.Fprintf(w, "client_id:     %s\nclient_secret: %s\n\n", id, secret)
	fmt.Fprintln(w, "Store this secret now: it is shown only this once and cannot be recovered.")
	fmt.Fprintln(w, "(\"dingbridge client rotate-secret "+id+"\" replaces it.)")
}

func clientCreateCommand() command {
	return command{
		name:    "client create",
		args:    "ID",
		summary: "register a client and print its secret once",
		help: `Register an OIDC client (relying party) under the client ID given as the
argument. A confidential client gets a random 256-bit secret, printed once:
store it, it cannot be shown again (only its SHA-256 digest is kept).
--public registers a public client (a browser or native app) that has no
secret and must use PKCE. The client is checked the same way as clients in
the configuration file.`,
		example: `dingbridge client create --name "Wiki" --redirect-uri https://wiki.example.com/oauth/callback wiki
dingbridge client create --public --application-type native --redirect-uri http://127.0.0.1/callback cli-app`,
		setup: func(fs *flag.FlagSet, a *app) func(context.Context, []string) error {
			public := fs.Bool("public", false, "public client: no secret, PKCE required")
			f := registerClientFlags(fs)
			return func(ctx context.Context, args []string) error {
				id, err := oneID(args)
				if err != nil {
					return err
				}
				c := storage.Client{
					ID: id, Public: *public, ApplicationType: defaultApplicationType(*public),
					GrantTypes: defaultGrantTypes,
				}
				f.apply(fs, &c)
				var secret string
				if !c.Public {
					if secret, c.SecretHash, err = provider.GenerateClientSecret(); err != nil {
						return err
					}
				}
				if err := provider.ValidateClient(c); err != nil {
					return usagef("invalid client: %s", strings.ReplaceAll(err.Error(), "\n", "; "))
				}
				return a.withStore(ctx, func(_ *settings, st store, _ *slog.Logger) error {
					now := time.Now().UTC()
					c.CreatedAt, c.UpdatedAt = now, now
					if err := st.CreateClient(ctx, c); err != nil {
						if errors.Is(err, storage.ErrAlreadyExists) {
							return fmt.Errorf("client %q already exists", id)
						}
						return err
					}
					if c.Public {
						fmt.Fprintf(a.stdout, "client_id: %s\npublic client: no secret; it must use PKCE (S256)\n", id)
						return nil
					}
					printSecret(a.stdout, id, secret)
					return nil
				})
			}
		},
	}
}

func clientListCommand() command {
	return command{
		name:    "client list",
		summary: "list clients as a table",
		help:    `List every client with its type, grant types and redirect URIs.`,
		example: `dingbridge client list`,
		setup: func(fs *flag.FlagSet, a *app) func(context.Context, []string) error {
			return func(ctx context.Context, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				return a.withStore(ctx, func(_ *settings, st store, _ *slog.Logger) error {
					cs, err := st.ListClients(ctx)
					if err != nil {
						return err
					}
					tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "ID\tNAME\tTYPE\tSOURCE\tGRANT TYPES\tREDIRECT URIS")
					for _, c := range cs {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, orDefault(c.Name, "-"), clientKind(c),
							clientSource(c), strings.Join(c.GrantTypes, ","), orDefault(strings.Join(c.RedirectURIs, " "), "-"))
					}
					return tw.Flush()
				})
			}
		},
	}
}

func clientKind(c storage.Client) string {
	if c.Public {
		return "public/" + c.ApplicationType
	}
	return "confidential/" + c.ApplicationType
}

func clientSource(c storage.Client) string {
	if c.Declarative {
		return "config"
	}
	return "cli"
}

func clientShowCommand() command {
	return command{
		name:    "client show",
		args:    "ID",
		summary: "show one client (never its secret)",
		help: `Show every field of one client. The secret is never shown: only its digest
is stored, and this command does not print even that.`,
		example: `dingbridge client show wiki`,
		setup: func(fs *flag.FlagSet, a *app) func(context.Context, []string) error {
			return func(ctx context.Context, args []string) error {
				id, err := oneID(args)
				if err != nil {
					return err
				}
				return a.withClient(ctx, id, false, func(_ store, c storage.Client) error {
					printClient(a.stdout, c)
					return nil
				})
			}
		},
	}
}

// withClient opens the store and runs fn on the client id; when edit is
// set, a client the configuration file manages is refused.
func (a *app) withClient(ctx context.Context, id string, edit bool, fn func(st store, c storage.Client) error) error {
	return a.withStore(ctx, func(_ *settings, st store, _ *slog.Logger) error {
		c, err := getClient(ctx, st, id)
		if err != nil {
			return err
		}
		if edit && c.Declarative {
			return errDeclarative(id)
		}
		return fn(st, c)
	})
}

func getClient(ctx context.Context, st storage.Storage, id string) (storage.Client, error) {
	c, err := st.GetClient(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return c, fmt.Errorf("client %q not found", id)
	}
	return c, err
}

func printClient(w io.Writer, c storage.Client) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k string, v any) { fmt.Fprintf(tw, "%s:\t%v\n", k, v) }
	list := func(l []string) string { return orDefault(strings.Join(l, " "), "-") }
	ttl := func(d time.Duration) string {
		if d == 0 {
			return "default"
		}
		return d.String()
	}
	row("id", c.ID)
	row("name", orDefault(c.Name, "-"))
	row("type", clientKind(c))
	row("secret", map[bool]string{true: "none (public client)", false: "set (hidden)"}[c.Public])
	row("source", clientSource(c))
	row("redirect uris", list(c.RedirectURIs))
	row("post-logout redirect uris", list(c.PostLogoutRedirectURIs))
	row("grant types", list(c.GrantTypes))
	row("scopes", orDefault(strings.Join(c.Scopes, " "), "default"))
	row("initiate login uri", orDefault(c.InitiateLoginURI, "-"))
	row("backchannel logout uri", orDefault(c.BackchannelLogoutURI, "-"))
	row("access token format", orDefault(c.AccessTokenFormat, "opaque"))
	row("access token ttl", ttl(c.AccessTokenTTL))
	row("id token ttl", ttl(c.IDTokenTTL))
	row("refresh token ttl", ttl(c.RefreshTokenTTL))
	row("require pkce", c.RequirePKCE || c.Public)
	row("allowed corps", orDefault(strings.Join(c.Policy.AllowedCorps, " "), "any"))
	row("members only", c.Policy.MembersOnly)
	row("required departments", orDefault(strings.Trim(fmt.Sprint(c.Policy.RequiredDepartments), "[]"), "-"))
	row("allow inactive", c.Policy.AllowInactive)
	row("email", orDefault(c.Policy.Email, "default"))
	row("groups", orDefault(c.Policy.Groups, "names"))
	row("groups parents", c.Policy.GroupsParents)
	row("claims in id token", c.Policy.ClaimsInIDToken)
	row("always release", orDefault(strings.Join(c.Policy.AlwaysRelease, " "), "-"))
	row("created", c.CreatedAt.UTC().Format(time.RFC3339))
	row("updated", c.UpdatedAt.UTC().Format(time.RFC3339))
	tw.Flush()
}

func clientUpdateCommand() command {
	return command{
		name:    "client update",
		args:    "ID",
		summary: "change the given fields of a client",
		help: `Change only the fields whose flags are given; everything else stays. A
repeatable flag (--redirect-uri, --grant-type, …) replaces the whole list.
Clients from the configuration file cannot be changed here. Use
rotate-secret to change the secret.`,
		example: `dingbridge client update --redirect-uri https://wiki.example.com/cb --redirect-uri https://wiki2.example.com/cb wiki`,
		setup: func(fs *flag.FlagSet, a *app) func(context.Context, []string) error {
			f := registerClientFlags(fs)
			return func(ctx context.Context, args []string) error {
				id, err := oneID(args)
				if err != nil {
					return err
				}
				changed := 0
				fs.Visit(func(fl *flag.Flag) {
					if fl.Name != "config" {
						changed++
					}
				})
				if changed == 0 {
					return usagef("nothing to change: give at least one field flag")
				}
				return a.withClient(ctx, id, true, func(st store, c storage.Client) error {
					f.apply(fs, &c)
					if err := provider.ValidateClient(c); err != nil {
						return usagef("invalid client: %s", strings.ReplaceAll(err.Error(), "\n", "; "))
					}
					c.UpdatedAt = time.Now().UTC()
					if err := st.UpdateClient(ctx, c); err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "client %s updated\n", id)
					return nil
				})
			}
		},
	}
}

func clientDeleteCommand() command {
	return command{
		name:    "client delete",
		args:    "ID",
		summary: "delete a client and everything issued to it",
		help: `Delete a client together with its pending authorization requests and every
token issued to it. There is no confirmation prompt; the client ID is
required. Clients from the configuration file cannot be deleted here.`,
		example: `dingbridge client delete wiki`,
		setup: func(fs *flag.FlagSet, a *app) func(context.Context, []string) error {
			return func(ctx context.Context, args []string) error {
				id, err := oneID(args)
				if err != nil {
					return err
				}
				return a.withClient(ctx, id, true, func(st store, _ storage.Client) error {
					if err := st.DeleteClient(ctx, id); err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "client %s deleted\n", id)
					return nil
				})
			}
		},
	}
}

func clientRotateSecretCommand() command {
	return command{
		name:    "client rotate-secret",
		args:    "ID",
		summary: "replace a client's secret and print the new one once",
		help: `Generate a new secret for a confidential client, store its digest, and print
it once. The old secret stops working at once.`,
		example: `dingbridge client rotate-secret wiki`,
		setup: func(fs *flag.FlagSet, a *app) func(context.Context, []string) error {
			return func(ctx context.Context, args []string) error {
				id, err := oneID(args)
				if err != nil {
					return err
				}
				return a.withClient(ctx, id, true, func(st store, c storage.Client) error {
					if c.Public {
						return fmt.Errorf("client %q is public and has no secret", id)
					}
					secret, hash, err := provider.GenerateClientSecret()
					if err != nil {
						return err
					}
					c.SecretHash, c.UpdatedAt = hash, time.Now().UTC()
					if err := st.UpdateClient(ctx, c); err != nil {
						return err
					}
					printSecret(a.stdout, id, secret)
					return nil
				})
			}
		},
	}
}
