package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"text/tabwriter"
	"time"
)

func migrateUpCommand() command {
	return command{
		name:    "migrate up",
		summary: "apply pending database migrations",
		help: `Apply every pending schema migration to the database named by database.url,
one file per transaction, and record it. Migrations only move forward. On
PostgreSQL concurrent runs (several replicas starting at once) wait for each
other under an advisory lock. serve does the same at start unless
database.autoMigrate is false or --no-migrate is given.`,
		example: `dingbridge migrate up --config /etc/dingbridge/dingbridge.yaml
DINGBRIDGE_DATABASE_URL=postgres://dingbridge@db/dingbridge dingbridge migrate up`,
		setup: func(fs *flag.FlagSet, a *app) func(context.Context, []string) error {
			return func(ctx context.Context, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				return a.withStore(ctx, func(_ *settings, st store, logger *slog.Logger) error {
					before, err := st.MigrationStatus(ctx)
					if err != nil {
						return err
					}
					if err := st.Migrate(ctx); err != nil {
						return err
					}
					pending := 0
					for _, m := range before {
						if !m.Applied {
							pending++
						}
					}
					fmt.Fprintf(a.stdout, "applied %d migration(s); the schema is up to date\n", pending)
					return nil
				})
			}
		},
	}
}

func migrateStatusCommand() command {
	return command{
		name:    "migrate status",
		summary: "list migrations and whether they are applied",
		help: `Print every migration this binary knows, in order, with whether it has been
applied to the database and when.`,
		example: `dingbridge migrate status`,
		setup: func(fs *flag.FlagSet, a *app) func(context.Context, []string) error {
			return func(ctx context.Context, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				return a.withStore(ctx, func(_ *settings, st store, _ *slog.Logger) error {
					ms, err := st.MigrationStatus(ctx)
					if err != nil {
						return err
					}
					tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "NAME\tSTATUS\tAPPLIED AT")
					for _, m := range ms {
						status, at := "pending", "-"
						if m.Applied {
							status, at = "applied", m.AppliedAt.UTC().Format(time.RFC3339)
						}
						fmt.Fprintf(tw, "%s\t%s\t%s\n", m.Name, status, at)
					}
					return tw.Flush()
				})
			}
		},
	}
}
