package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

// upsertClients stores the clients of the configuration file, replacing
// what the database holds for them. A client that was declared before but
// is no longer in the file is kept, handed over to the CLI (Declarative
// false) so that "dingbridge client delete" can remove it, and a warning
// is logged.
func upsertClients(ctx context.Context, st storage.Storage, specs []clientSpec, logger *slog.Logger) error {
	now := time.Now().UTC()
	declared := make(map[string]bool, len(specs))
	for _, spec := range specs {
		c := spec.client
		declared[c.ID] = true
		c.CreatedAt, c.UpdatedAt = now, now
		if old, err := st.GetClient(ctx, c.ID); err == nil {
			c.CreatedAt = old.CreatedAt
		}
		if err := st.UpsertClient(ctx, c); err != nil {
			return fmt.Errorf("store client %q from the configuration: %w", c.ID, err)
		}
	}
	all, err := st.ListClients(ctx)
	if err != nil {
		return fmt.Errorf("list clients: %w", err)
	}
	for _, c := range all {
		if !c.Declarative || declared[c.ID] {
			continue
		}
		c.Declarative, c.UpdatedAt = false, now
		if err := st.UpdateClient(ctx, c); err != nil {
			return fmt.Errorf("release client %q: %w", c.ID, err)
		}
		logger.Warn("client is no longer in the configuration; it now belongs to the CLI (dingbridge client delete removes it)", "client_id", c.ID)
	}
	if len(specs) > 0 {
		logger.Info("stored clients from the configuration", "count", len(specs))
	}
	return nil
}
