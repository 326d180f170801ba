package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"gopkg.in/yaml.v3"

	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
)

// Client registration used against every target.
const (
	benchClientID     = "bench"
	benchClientSecret = "dingbridge-bench-client-secret"
	benchRedirectURI  = "http://127.0.0.1:9/callback" // never contacted: the bench stops at the redirect
)

// process is a child the bench started.
type process struct {
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser // closing it tells the simulator to stop
	log   string         // file with its stderr
	// started is when it was started; ready when it first answered.
	started, ready time.Time
	// argv and readyURL start it again (restart).
	argv     []string
	readyURL string
	dir      string
}

// restart stops the server and starts it again with the same
// configuration and database, and returns the new process: its ready time
// is that of a start on a schema that is already migrated, with its keys.
func (p *process) restart(ctx context.Context) (*process, error) {
	p.stop()
	return startServer(ctx, p.dir, p.name, p.argv, p.readyURL)
}

// pid is the child's process id.
func (p *process) pid() int { return p.cmd.Process.Pid }

// stop asks the child to exit and waits a bounded time before killing it.
func (p *process) stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	if p.stdin != nil {
		_ = p.stdin.Close()
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

// freeAddr finds a free loopback port.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startSimulator runs "dingbridge-bench sim" as a child process and returns
// it with its URL.
func startSimulator(ctx context.Context, dir string, users int) (*process, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", fmt.Errorf("find own executable: %w", err)
	}
	logFile, err := os.Create(filepath.Join(dir, "simulator.log"))
	if err != nil {
		return nil, "", err
	}
	defer logFile.Close()
	args := []string{"sim", "--listen", "127.0.0.1:0", "--users", fmt.Sprint(users)}
	if os.Getenv("DINGBRIDGE_BENCH_SIM_PPROF") != "" {
		args = append(args, "--pprof")
	}
	cmd := exec.Command(self, args...)
	cmd.Stderr = logFile
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, "", err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	p := &process{name: "simulator", cmd: cmd, stdin: stdin, log: logFile.Name(), started: time.Now()}
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("start simulator: %w", err)
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case line, ok := <-lines:
		if u, found := strings.CutPrefix(line, "listening "); ok && found {
			p.ready = time.Now()
			return p, u, nil
		}
		p.stop()
		return nil, "", fmt.Errorf("simulator did not start (see %s)", p.log)
	case <-time.After(10 * time.Second):
		p.stop()
		return nil, "", errors.New("simulator did not start within 10s")
	case <-ctx.Done():
		p.stop()
		return nil, "", ctx.Err()
	}
}

// freshDatabase drops and creates database name on the server of adminURL
// and returns the URL of the new database.
func freshDatabase(ctx context.Context, adminURL, name string) (string, error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", fmt.Errorf("connect to postgres: %w", err)
	}
	defer conn.Close(ctx)
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
		return "", fmt.Errorf("drop database %s: %w", name, err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", fmt.Errorf("postgres URL: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// startServer runs argv with its stderr in dir/<name>.log and waits until
// readyURL answers 200.
func startServer(ctx context.Context, dir, name string, argv []string, readyURL string) (*process, error) {
	logFile, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Dir = dir
	p := &process{name: name, cmd: cmd, log: logFile.Name(), argv: argv, readyURL: readyURL, dir: dir}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	exited := make(chan struct{})
	go func() {
		_, _ = cmd.Process.Wait()
		close(exited)
	}()
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := c.Get(readyURL)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				p.ready = time.Now()
				return p, nil
			}
		}
		select {
		case <-exited:
			return nil, fmt.Errorf("%s exited before it was ready: %s", name, logTail(p.log))
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
	p.stop()
	return nil, fmt.Errorf("%s not ready within 60s: %s", name, logTail(p.log))
}

// logTail is the end of a child's log, for an error message.
func logTail(path string) string {
	b, _ := os.ReadFile(path)
	s := strings.TrimSpace(string(b))
	if len(s) > 600 {
		s = "…" + s[len(s)-600:]
	}
	return s
}

func randomKey(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// bridgeOptions configure a spawned dingbridge.
type bridgeOptions struct {
	bin, dir, addr, simURL, dbURL string
	algorithm, logLevel           string
	maxConns                      int
	debugListen                   string // pprof listener, "" for none
}

// bridgeConfig is dingbridge's YAML configuration for the bench: the
// simulator's first demo corp, one confidential client with every grant
// the modes use.
func bridgeConfig(o bridgeOptions) map[string]any {
	cfg := map[string]any{
		"issuer": "http://" + o.addr,
		"dev":    true, // http issuer on loopback
		"listen": o.addr,
		"log":    map[string]any{"level": o.logLevel, "format": "json"},
		"database": map[string]any{
			"url": o.dbURL, "maxConns": o.maxConns, "autoMigrate": true,
		},
		"keys":    map[string]any{"algorithm": o.algorithm, "encryptionKey": randomKey(32)},
		"cookies": map[string]any{"hashKey": randomKey(64), "blockKey": randomKey(32)},
		"dingtalk": map[string]any{
			"endpoints": map[string]any{"oapi": o.simURL, "api": o.simURL, "login": o.simURL},
			"corps": []any{map[string]any{
				"corpId": dingtalktest.DemoCorpID, "name": dingtalktest.DemoCorpName,
				"appKey": dingtalktest.DemoAppKey, "appSecret": dingtalktest.DemoAppSecret,
				"agentId": dingtalktest.DemoAgentID,
			}},
		},
		"clients": []any{map[string]any{
			"id": benchClientID, "name": "dingbridge-bench", "secret": benchClientSecret,
			"redirectURIs": []string{benchRedirectURI},
			"grantTypes":   []string{"authorization_code", "refresh_token", "client_credentials"},
			"policy":       map[string]any{"email": "org", "groups": "names"},
		}},
	}
	if o.debugListen != "" {
		cfg["debugListen"] = o.debugListen
	}
	return cfg
}

// startBridge writes the configuration and starts "dingbridge serve".
func startBridge(ctx context.Context, o bridgeOptions) (*process, error) {
	b, err := yaml.Marshal(bridgeConfig(o))
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(o.dir, "dingbridge.yaml")
	if err := os.WriteFile(cfg, b, 0o600); err != nil {
		return nil, err
	}
	return startServer(ctx, o.dir, "dingbridge", []string{o.bin, "serve", "--config", cfg}, "http://"+o.addr+"/readyz")
}

// dexOptions configure a spawned Dex.
type dexOptions struct {
	bin, dir, addr, database string
	pg                       *url.URL // server of the database
	logLevel                 string
	maxConns                 int
}

// dexConfig is Dex's configuration: PostgreSQL storage, the mockCallback
// connector, no approval screen, one static client.
func dexConfig(o dexOptions) map[string]any {
	port, err := strconv.Atoi(o.pg.Port())
	if err != nil {
		port = 5432
	}
	pass, _ := o.pg.User.Password()
	pgCfg := map[string]any{
		"host": o.pg.Hostname(), "port": port, "database": o.database, "user": o.pg.User.Username(),
		"ssl": map[string]any{"mode": "disable"},
	}
	if pass != "" {
		pgCfg["password"] = pass
	}
	if o.maxConns > 0 {
		// Idle connections as many as open ones: no backend churn.
		pgCfg["maxOpenConns"], pgCfg["maxIdleConns"] = o.maxConns, o.maxConns
	}
	return map[string]any{
		"issuer":     "http://" + o.addr + "/dex",
		"storage":    map[string]any{"type": "postgres", "config": pgCfg},
		"web":        map[string]any{"http": o.addr},
		"logger":     map[string]any{"level": o.logLevel, "format": "json"},
		"oauth2":     map[string]any{"skipApprovalScreen": true, "responseTypes": []string{"code"}},
		"connectors": []any{map[string]any{"type": "mockCallback", "id": "mock", "name": "Mock"}},
		"staticClients": []any{map[string]any{
			"id": benchClientID, "secret": benchClientSecret, "name": "dingbridge-bench",
			"redirectURIs": []string{benchRedirectURI},
		}},
	}
}

// startDex writes Dex's configuration and starts "dex serve".
func startDex(ctx context.Context, o dexOptions) (*process, error) {
	b, err := yaml.Marshal(dexConfig(o))
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(o.dir, "dex.yaml")
	if err := os.WriteFile(cfg, b, 0o600); err != nil {
		return nil, err
	}
	return startServer(ctx, o.dir, "dex", []string{o.bin, "serve", cfg},
		"http://"+o.addr+"/dex/.well-known/openid-configuration")
}
