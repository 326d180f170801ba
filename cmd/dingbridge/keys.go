package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/dingbridge/dingbridge/provider"
)

// tokenLifetime is the longest lifetime of a token the signing keys sign:
// ID tokens, and access tokens of clients that ask for JWTs.
func tokenLifetime(c Config) time.Duration {
	return max(time.Duration(c.Tokens.IDTokenTTL), time.Duration(c.Tokens.AccessTokenTTL))
}

// withKeyManager loads the configuration and its key material, opens the
// database and runs fn with a key manager over it.
func (a *app) withKeyManager(ctx context.Context, fn func(m *provider.KeyManager) error) error {
	return a.withStore(ctx, func(s *settings, st store, logger *slog.Logger) error {
		if err := loadKeyMaterial(s, logger); err != nil {
			return err
		}
		m, err := provider.NewKeyManager(provider.KeyConfig{
			Storage:        st,
			EncryptionKey:  s.encryptionKey,
			Algorithm:      s.cfg.Keys.Algorithm,
			RotationPeriod: time.Duration(s.cfg.Keys.RotationPeriod),
			TokenLifetime:  tokenLifetime(s.cfg),
			Logger:         logger,
		})
		if err != nil {
			return err
		}
		return fn(m)
	})
}

func printKeys(w io.Writer, keys []provider.KeyInfo) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KID\tALG\tGENERATION\tSTATE\tCREATED\tACTIVATES\tRETIRES")
	at := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", k.ID, k.Algorithm, k.Generation, k.State,
			at(k.CreatedAt), at(k.ActivatesAt), at(k.RetiresAt))
	}
	return tw.Flush()
}

func keysListCommand() command {
	return command{
		name:    "keys list",
		summary: "list the published token signing keys",
		help: `List the signing keys published in the JWKS: the active key that signs, a
next key already published but not yet signing, and retiring keys kept
until every token they signed has expired. Private keys are never shown.`,
		example: `dingbridge keys list`,
		setup: func(fs *flag.FlagSet, a *app) func(context.Context, []string) error {
			return func(ctx context.Context, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				return a.withKeyManager(ctx, func(m *provider.KeyManager) error {
					keys, err := m.List(ctx)
					if err != nil {
						return err
					}
					return printKeys(a.stdout, keys)
				})
			}
		},
	}
}

func keysRotateCommand() command {
	return command{
		name:    "keys rotate",
		summary: "publish a new signing key ahead of schedule",
		help: `Publish a new next signing key now, instead of waiting for
keys.rotationPeriod. It is published in the JWKS at once and starts signing
one token lifetime later, so relying parties have fetched it before they see
it; the current key keeps signing until then. If a next key is already
waiting, nothing changes. Prints the resulting key set.`,
		example: `dingbridge keys rotate`,
		setup: func(fs *flag.FlagSet, a *app) func(context.Context, []string) error {
			return func(ctx context.Context, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				return a.withKeyManager(ctx, func(m *provider.KeyManager) error {
					if err := m.Rotate(ctx); err != nil {
						return err
					}
					keys, err := m.List(ctx)
					if err != nil {
						return err
					}
					return printKeys(a.stdout, keys)
				})
			}
		},
	}
}
