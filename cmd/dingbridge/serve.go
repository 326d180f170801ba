package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/dingbridge/dingbridge/provider"
)

// HTTP server timeouts. Requests are small form posts and JSON documents;
// the generous write timeout covers slow DingTalk calls during login.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
)

func serveCommand() command {
	return command{
		name:    "serve",
		summary: "run the OpenID Connect provider",
		help: `Run the OpenID Connect provider: open the database (applying pending
migrations unless database.autoMigrate is false or --no-migrate is given),
store the clients declared in the configuration, and serve the provider's
endpoints under the issuer URL together with /healthz (liveness: always
200) and /readyz (200 when the database answers and signing keys are
loaded, else 503) at the server root. SIGINT or SIGTERM stops accepting
connections and waits up to shutdownTimeout for requests in flight.

With SQLite and no keys configured, the encryption and cookie keys are
generated once into a private file next to the database (<db>.keys). With
PostgreSQL they must be configured, so every replica shares them.`,
		example: `DINGBRIDGE_DEV=true dingbridge serve
dingbridge serve --config /etc/dingbridge/dingbridge.yaml`,
		setup: func(fs *flag.FlagSet, a *app) func(context.Context, []string) error {
			noMigrate := fs.Bool("no-migrate", false, "do not apply pending migrations at start (overrides database.autoMigrate)")
			listen := fs.String("listen", "", "listen `address` (overrides the listen key)")
			return func(ctx context.Context, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				s, err := a.loadSettings()
				if err != nil {
					return err
				}
				if *noMigrate {
					s.db.autoMigrate = false
				}
				if *listen != "" {
					s.cfg.Listen = *listen
				}
				return a.serve(ctx, s)
			}
		},
	}
}

// serveExtras are what the dev command adds to serve.
type serveExtras struct {
	// listener, when set, is used instead of listening on cfg.Listen.
	listener net.Listener
	// routes, when set, adds handlers at the root of the server, next to
	// the probes.
	routes func(mux *http.ServeMux)
	// started, when set, is called once the server accepts requests.
	started func()
}

// serve runs the provider until ctx is done, then shuts down gracefully.
func (a *app) serve(ctx context.Context, s *settings) error {
	return a.serveWith(ctx, s, serveExtras{})
}

func (a *app) serveWith(ctx context.Context, s *settings, x serveExtras) error {
	logger := a.newLogger(s)
	slog.SetDefault(logger) // zitadel's op logs through the default logger
	tuneGC(a.getenv)

	if err := loadKeyMaterial(s, logger); err != nil {
		return err
	}
	signRSA, err := rsaSigner(s.cfg.Keys, logger)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, s.db, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	firstKey := keyAhead(ctx, st, s.db.autoMigrate, s.cfg.Keys.Algorithm)
	if err := prepareSchema(ctx, st, s.db.autoMigrate); err != nil {
		return err
	}
	if firstKey != nil {
		firstKey.Race()
	}
	if err := upsertClients(ctx, st, s.clients, logger); err != nil {
		return err
	}

	c := s.cfg
	p, err := provider.New(ctx, provider.Config{
		Issuer:            c.Issuer,
		Storage:           st,
		Logger:            logger,
		KeyEncryptionKey:  s.encryptionKey,
		CookieHashKey:     s.cookieHashKey,
		CookieBlockKey:    s.cookieBlockKey,
		SigningAlgorithm:  c.Keys.Algorithm,
		KeyRotationPeriod: time.Duration(c.Keys.RotationPeriod),
		RSASigner:         signRSA,
		FirstKey:          firstKey,
		AccessTokenTTL:    time.Duration(c.Tokens.AccessTokenTTL),
		IDTokenTTL:        time.Duration(c.Tokens.IDTokenTTL),
		RefreshTokenTTL:   time.Duration(c.Tokens.RefreshTokenTTL),
		AuthRequestTTL:    time.Duration(c.Tokens.AuthRequestTTL),
		CodeTTL:           time.Duration(c.Tokens.CodeTTL),
		SessionTTL:        time.Duration(c.Tokens.SessionTTL),
		Insecure:          c.Dev,
	})
	if err != nil {
		return fmt.Errorf("start provider: %w", err)
	}
	if err := setupLogin(s, st, p, logger); err != nil {
		return err
	}

	if c.DebugListen != "" {
		stopDebug, err := startDebug(c.DebugListen, logger)
		if err != nil {
			return err
		}
		defer stopDebug()
	}

	mux := rootMux(p)
	if x.routes != nil {
		x.routes(mux)
	}
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	ln := x.listener
	if ln == nil {
		if ln, err = net.Listen("tcp", c.Listen); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
	}
	if a.onListen != nil {
		a.onListen(ln.Addr())
	}
	logger.Info("serving", "addr", ln.Addr().String(), "issuer", c.Issuer, "database", s.db.driver)

	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { p.Run(runCtx) })
	defer func() {
		stopRun()
		wg.Wait()
	}()

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	if x.started != nil {
		x.started()
	}
	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout", c.ShutdownTimeout.String())
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Duration(c.ShutdownTimeout))
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// keyAhead starts generating the first signing key when serve is about to
// migrate an empty database, which holds no key yet: the key is then
// generated while the schema is created instead of after it. nil when the
// database has a migration applied, or when that cannot be told (the
// provider generates a key itself if it needs one).
func keyAhead(ctx context.Context, st store, autoMigrate bool, algorithm string) *provider.KeyGeneration {
	if !autoMigrate {
		return nil
	}
	ms, err := st.MigrationStatus(ctx)
	if err != nil {
		return nil // prepareSchema reports it
	}
	for _, m := range ms {
		if m.Applied {
			return nil
		}
	}
	g, err := provider.GenerateKeyAhead(algorithm)
	if err != nil {
		return nil // provider.New reports the algorithm
	}
	return g
}

// prepareSchema applies pending migrations, or without autoMigrate refuses
// to start on a schema that is behind this binary.
func prepareSchema(ctx context.Context, st store, autoMigrate bool) error {
	if autoMigrate {
		return st.Migrate(ctx)
	}
	ms, err := st.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	var pending []string
	for _, m := range ms {
		if !m.Applied {
			pending = append(pending, m.Name)
		}
	}
	if len(pending) > 0 {
		return fmt.Errorf("database schema is behind: %d migration(s) pending (%s); run \"dingbridge migrate up\"",
			len(pending), strings.Join(pending, ", "))
	}
	return nil
}

// rootMux serves the probes at the root and everything else from the
// provider, which routes under the issuer's path itself.
func rootMux(p *provider.Provider) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := p.Ready(ctx); err != nil {
			slog.WarnContext(r.Context(), "not ready", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready")
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("/", p.Handler())
	return mux
}
