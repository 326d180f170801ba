package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/dingbridge/dingbridge/storage"
	"github.com/dingbridge/dingbridge/storage/postgres"
	"github.com/dingbridge/dingbridge/storage/sqlite"
)

// store is a storage backend with its migrations.
type store interface {
	storage.Storage
	Migrate(ctx context.Context) error
	MigrationStatus(ctx context.Context) ([]storage.Migration, error)
}

var (
	_ store = (*sqlite.Store)(nil)
	_ store = (*postgres.Store)(nil)
)

// openStore opens the backend database.url names.
func openStore(ctx context.Context, db database, logger *slog.Logger) (store, error) {
	switch db.driver {
	case "sqlite":
		s, err := sqlite.Open(ctx, db.path, sqlite.Options{Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
		return s, nil
	case "postgres":
		s, err := postgres.Open(ctx, db.url, postgres.Options{Logger: logger, MaxConns: db.maxConns})
		if err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
		return s, nil
	}
	return nil, fmt.Errorf("open database: unknown driver %q", db.driver)
}

// withStore loads the configuration, opens the database and runs fn.
func (a *app) withStore(ctx context.Context, fn func(s *settings, st store, logger *slog.Logger) error) error {
	s, err := a.loadSettings()
	if err != nil {
		return err
	}
	logger := a.newLogger(s)
	st, err := openStore(ctx, s.db, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(s, st, logger)
}
