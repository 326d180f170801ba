package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
)

// options are the command-line flags.
type options struct {
	target, mode             string
	vus, runs, count, people int
	duration, warmup         time.Duration
	spawn                    bool
	bin, db, pgURL           string
	algorithm, logLevel      string
	maxConns                 int
	scope                    string
	offline                  bool
	issuer, simURL, pgDB     string
	pid                      int
	jsonOut                  string
	keep                     bool
	debugListen              string
	cpuProfile               string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("dingbridge-bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.target, "target", "dingbridge", "`server` to drive: dingbridge or dex")
	fs.StringVar(&o.mode, "mode", modeFlow, "unit of work: flow, refresh, client-credentials or introspect")
	fs.IntVar(&o.vus, "users", 16, "concurrent virtual users")
	fs.DurationVar(&o.duration, "duration", 60*time.Second, "length of each measured run (with --count: its upper bound)")
	fs.IntVar(&o.count, "count", 0, "end each run after this many successful units instead (0: use --duration)")
	fs.DurationVar(&o.warmup, "warmup", 5*time.Second, "unmeasured load before the first run")
	fs.IntVar(&o.runs, "runs", 1, "measured runs, one after the other on the same server; medians are reported")
	fs.BoolVar(&o.spawn, "spawn", false, "start the server (and for dingbridge a simulator) with a generated configuration and a fresh database")
	fs.StringVar(&o.bin, "bin", "", "server `binary` for --spawn (dingbridge or dex)")
	fs.StringVar(&o.db, "db", "postgres", "storage of the spawned server: postgres or sqlite (dingbridge only)")
	fs.StringVar(&o.pgURL, "pg", envOr("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		"PostgreSQL `URL` of an administrative database: the bench creates its database next to it and lists backends through it")
	fs.StringVar(&o.algorithm, "alg", "RS256", "signing algorithm of the spawned dingbridge: RS256 or ES256")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level of the spawned server")
	fs.IntVar(&o.maxConns, "max-conns", 0, "PostgreSQL pool size of the spawned server (0: its default; Dex: 0 means 2×users)")
	fs.StringVar(&o.scope, "scope", "openid profile email groups", "scopes requested")
	fs.BoolVar(&o.offline, "offline", false, "add offline_access to the scopes (a refresh token with every login)")
	fs.IntVar(&o.people, "people", 100, "DingTalk people in the simulator the logins cycle through")
	fs.StringVar(&o.issuer, "issuer", "", "issuer `URL` of a running server (without --spawn)")
	fs.IntVar(&o.pid, "pid", 0, "process id of the running server (without --spawn), for CPU and memory")
	fs.StringVar(&o.simURL, "sim", "", "URL of a running \"dingbridge-bench sim\" (without --spawn), for DingTalk call counts")
	fs.StringVar(&o.pgDB, "pg-database", "", "database of the running server (without --spawn), for PostgreSQL backend CPU")
	fs.StringVar(&o.jsonOut, "json", "", "also write the results as JSON to this `file`")
	fs.BoolVar(&o.keep, "keep", false, "keep the spawned server's directory (configuration and logs)")
	fs.StringVar(&o.debugListen, "debug-listen", "", "spawned dingbridge: loopback `address` of its pprof debug listener (debugListen)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write the generator's own CPU profile over the measured runs to this `file`")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			writeUsage(stderr, fs)
		}
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var probs []string
	switch o.target {
	case "dingbridge", "dex":
	default:
		probs = append(probs, "--target: dingbridge or dex")
	}
	switch o.mode {
	case modeFlow, modeRefresh, modeClientCredentials, modeIntrospect:
	default:
		probs = append(probs, "--mode: flow, refresh, client-credentials or introspect")
	}
	if o.target == "dex" && (o.mode == modeClientCredentials || o.mode == modeIntrospect) {
		probs = append(probs, "--mode: Dex is driven in flow and refresh modes only")
	}
	if o.vus < 1 || o.runs < 1 || o.people < 1 || o.duration <= 0 || o.count < 0 || o.warmup < 0 {
		probs = append(probs, "--users, --runs, --people and --duration must be positive")
	}
	if o.duration > time.Hour {
		probs = append(probs, "--duration: at most 1h")
	}
	if o.spawn {
		if o.bin == "" {
			probs = append(probs, "--spawn needs --bin")
		}
		if o.db != "postgres" && (o.db != "sqlite" || o.target == "dex") {
			probs = append(probs, "--db: postgres, or sqlite for dingbridge")
		}
		if o.debugListen != "" {
			if err := requireLoopback(o.debugListen); err != nil {
				probs = append(probs, "--debug-listen: "+err.Error())
			}
		}
	} else {
		if o.issuer == "" {
			probs = append(probs, "without --spawn, --issuer is required")
		} else if err := checkLoopbackURL(o.issuer); err != nil {
			probs = append(probs, "--issuer: "+err.Error())
		}
		if o.simURL != "" {
			if err := checkLoopbackURL(o.simURL); err != nil {
				probs = append(probs, "--sim: "+err.Error())
			}
		}
	}
	if len(probs) > 0 {
		return o, errors.New(strings.Join(probs, "; "))
	}
	if o.offline || o.mode == modeRefresh {
		o.scope += " offline_access"
	}
	return o, nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// env is what one bench run drives and measures.
type env struct {
	server, sim *process
	serverPID   int
	issuer      string
	simURL      string
	pg          *pgBackends
	cleanup     []func()
}

func (e *env) close() {
	for i := len(e.cleanup) - 1; i >= 0; i-- {
		e.cleanup[i]()
	}
}

// setUp starts (or finds) the server, the simulator and the database.
func setUp(ctx context.Context, o options, stdout io.Writer) (*env, error) {
	e := &env{issuer: o.issuer, serverPID: o.pid, simURL: o.simURL}
	if !o.spawn {
		if o.pgDB != "" {
			pg, err := newPGBackends(ctx, o.pgURL, o.pgDB)
			if err != nil {
				return e, err
			}
			e.pg = pg
			e.cleanup = append(e.cleanup, pg.Close)
		}
		return e, nil
	}
	dir, err := os.MkdirTemp("", "dingbridge-bench-")
	if err != nil {
		return e, err
	}
	if o.keep {
		fmt.Fprintf(stdout, "files in %s\n", dir)
	} else {
		e.cleanup = append(e.cleanup, func() { _ = os.RemoveAll(dir) })
	}
	addr, err := freeAddr()
	if err != nil {
		return e, err
	}
	dbName := "dingbridge_bench"
	if o.target == "dex" {
		dbName = "dex_bench"
	}
	var dbURL string
	if o.db == "postgres" {
		if dbURL, err = freshDatabase(ctx, o.pgURL, dbName); err != nil {
			return e, err
		}
		pg, err := newPGBackends(ctx, o.pgURL, dbName)
		if err != nil {
			return e, err
		}
		e.pg = pg
		e.cleanup = append(e.cleanup, pg.Close)
	}

	if o.target == "dex" {
		pgu, err := url.Parse(o.pgURL)
		if err != nil {
			return e, fmt.Errorf("--pg: %w", err)
		}
		conns := o.maxConns
		if conns == 0 {
			conns = 2 * o.vus
		}
		p, err := startDex(ctx, dexOptions{bin: o.bin, dir: dir, addr: addr, database: dbName, pg: pgu,
			logLevel: o.logLevel, maxConns: conns})
		if err != nil {
			return e, err
		}
		e.server, e.serverPID, e.issuer = p, p.pid(), "http://"+addr+"/dex"
		e.cleanup = append(e.cleanup, p.stop)
		return e, nil
	}

	sim, simURL, err := startSimulator(ctx, dir, o.people)
	if err != nil {
		return e, err
	}
	e.sim, e.simURL = sim, simURL
	e.cleanup = append(e.cleanup, sim.stop)
	if o.db == "sqlite" {
		dbURL = "sqlite:" + dir + "/bench.db"
	} else {
		u, _ := url.Parse(dbURL)
		q := u.Query()
		q.Set("application_name", "dingbridge-bench")
		u.RawQuery = q.Encode()
		dbURL = u.String()
	}
	p, err := startBridge(ctx, bridgeOptions{bin: o.bin, dir: dir, addr: addr, simURL: simURL, dbURL: dbURL,
		algorithm: o.algorithm, logLevel: o.logLevel, maxConns: o.maxConns, debugListen: o.debugListen})
	if err != nil {
		return e, err
	}
	e.server, e.serverPID, e.issuer = p, p.pid(), "http://"+addr
	e.cleanup = append(e.cleanup, p.stop)
	return e, nil
}

// benchMain runs the command.
func benchMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	// Bounded: whatever happens, the bench ends.
	limit := o.warmup + time.Duration(o.runs)*(o.duration+10*time.Second) + 2*time.Minute
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()

	e, err := setUp(ctx, o, stdout)
	defer e.close()
	if err != nil {
		return err
	}
	res := result{Target: o.target, Mode: o.mode, Users: o.vus, Scope: o.scope, Algorithm: o.algorithm, Storage: o.db}
	if o.target == "dex" {
		res.Algorithm = "RS256"
	}
	if e.server != nil {
		res.ReadyMs = ms(e.server.ready.Sub(e.server.started))
	}
	if e.serverPID > 0 {
		if m, err := memoryOf(e.serverPID); err == nil {
			res.RSSReadyMiB = mib(m.RSS)
		}
	}

	// Each virtual user has its own connections (userTransport); this one
	// reads the discovery document.
	transport := newUserTransport()
	defer transport.CloseIdleConnections()
	cl := &client{
		kind: o.target, id: benchClientID, secret: benchClientSecret, redirectURI: benchRedirectURI,
		scope: o.scope, users: o.people, corpID: dingtalktest.DemoCorpID,
		requireOIDC: strings.Contains(" "+o.scope+" ", " openid "), wantRefresh: strings.Contains(o.scope, "offline_access"),
		timeoutAfter: 30 * time.Second,
	}
	if cl.ep, err = discover(ctx, &http.Client{Transport: transport, Timeout: 10 * time.Second}, e.issuer); err != nil {
		return err
	}
	if o.mode == modeIntrospect && cl.ep.Introspection == "" {
		return errors.New("the server's discovery names no introspection endpoint")
	}

	l := newLoad(cl, o.mode, o.vus)
	loadCtx, stopLoad := context.WithCancel(ctx)
	loadDone := make(chan struct{})
	go func() { l.run(loadCtx); close(loadDone) }()
	defer func() { stopLoad(); <-loadDone }()

	fmt.Fprintf(stdout, "%s %s, %d users, scope %q, %s; ready in %.0f ms\n",
		o.target, o.mode, o.vus, o.scope, res.Algorithm, res.ReadyMs)
	if err := sleep(ctx, o.warmup); err != nil {
		return err
	}
	stopProfile, err := startCPUProfile(o.cpuProfile)
	if err != nil {
		return err
	}
	for i := 1; i <= o.runs; i++ {
		w, err := measure(ctx, o, e, l, int64(i))
		if err != nil {
			return err
		}
		res.Runs = append(res.Runs, w)
		printWindow(stdout, i, o.runs, w)
	}
	if err := stopProfile(); err != nil {
		return err
	}
	stopLoad()
	<-loadDone
	if e.serverPID > 0 {
		// Idle: the load has stopped; the Go runtime returns memory to the
		// system in the background.
		_ = sleep(ctx, 5*time.Second)
		if m, err := memoryOf(e.serverPID); err == nil {
			res.RSSIdleMiB, res.PeakRSSMiB = mib(m.RSS), mib(m.HWM)
		}
	}
	if e.server != nil {
		// A second start on the same database: migrations and keys exist.
		p, err := e.server.restart(ctx)
		if err != nil {
			return err
		}
		e.cleanup = append(e.cleanup, p.stop)
		res.RestartReadyMs = ms(p.ready.Sub(p.started))
		if m, err := memoryOf(p.pid()); err == nil {
			res.RSSRestartMiB = mib(m.RSS)
		}
	}
	res.summarise()
	printSummary(stdout, res)
	if o.jsonOut != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(o.jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// cpuOf is a process's CPU time, zero when there is no such process.
func cpuOf(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	t, _ := cpuTime(pid)
	return t
}

// measure runs one window.
func measure(ctx context.Context, o options, e *env, l *load, n int64) (window, error) {
	simPID := 0
	if e.sim != nil {
		simPID = e.sim.pid()
	}
	if e.simURL != "" {
		if err := resetCalls(ctx, e.simURL); err != nil {
			return window{}, err
		}
	}
	if e.pg != nil {
		if err := e.pg.reset(ctx); err != nil {
			return window{}, err
		}
	}
	stopSampling, sampled := make(chan struct{}), make(chan struct{})
	stopPG := sync.OnceFunc(func() { close(stopSampling); <-sampled })
	defer stopPG()
	go func() {
		defer close(sampled)
		if e.pg != nil {
			e.pg.run(stopSampling, 200*time.Millisecond)
		}
	}()
	srv0, sim0, self0 := cpuOf(e.serverPID), cpuOf(simPID), cpuOf(os.Getpid())
	mach0, machErr := readMachineTimes()
	start := time.Now()
	l.open(n)
	deadline := time.NewTimer(o.duration)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case <-ctx.Done():
			return window{}, ctx.Err()
		case <-deadline.C:
			break wait
		case <-tick.C:
			if o.count > 0 && l.done.Load() >= int64(o.count) {
				break wait
			}
		}
	}
	rec := l.close()
	elapsed := time.Since(start)
	srv1, sim1, self1 := cpuOf(e.serverPID), cpuOf(simPID), cpuOf(os.Getpid())
	mach1, machErr1 := readMachineTimes()
	stopPG()
	w := window{Seconds: elapsed.Seconds(), Errors: rec.errors, Steps: map[string]latencyMs{}}
	if machErr == nil && machErr1 == nil {
		w.MachineBusy, w.MachineIdle, w.MachineSteal = mach1.shares(mach0)
	}
	flows := rec.steps["flow"]
	w.Units = len(flows)
	w.PerSecond = float64(w.Units) / elapsed.Seconds()
	for k, v := range rec.steps {
		w.Steps[k] = toMs(summarise(v))
	}
	if w.Units > 0 {
		per := func(d time.Duration) float64 { return ms(d) / float64(w.Units) }
		if e.serverPID > 0 {
			w.CPUServerMs = per(srv1 - srv0)
		}
		if e.pg != nil {
			if err := e.pg.sample(ctx); err == nil {
				cpu, backends, ended := e.pg.total()
				w.CPUPostgresMs, w.PGBackends, w.PGBackendsEnded = per(cpu), backends, ended
			}
		}
		w.CPUTotalMs = w.CPUServerMs + w.CPUPostgresMs
		if simPID > 0 {
			w.CPUSimulatorMs = per(sim1 - sim0)
		}
		w.CPUBenchMs = per(self1 - self0)
		if e.simURL != "" {
			calls, err := readCalls(ctx, e.simURL)
			if err != nil {
				return window{}, err
			}
			w.DingTalkCalls = map[string]float64{}
			for k, v := range calls {
				w.DingTalkCalls[k] = float64(v) / float64(w.Units)
				w.DingTalkCallsPerUnit += float64(v) / float64(w.Units)
			}
		}
	}
	return w, nil
}

func resetCalls(ctx context.Context, simURL string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, simURL+simCallsPath, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("reset simulator counters: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("reset simulator counters: status %d (is %s a dingbridge-bench sim?)", resp.StatusCode, simURL)
	}
	return nil
}

func readCalls(ctx context.Context, simURL string) (map[string]int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, simURL+simCallsPath, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("read simulator counters: %w", err)
	}
	defer resp.Body.Close()
	var calls map[string]int
	if err := json.NewDecoder(resp.Body).Decode(&calls); err != nil {
		return nil, fmt.Errorf("read simulator counters: %w", err)
	}
	return calls, nil
}
