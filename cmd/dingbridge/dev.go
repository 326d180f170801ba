package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
	"github.com/dingbridge/dingbridge/provider"
	"github.com/dingbridge/dingbridge/provider/login"
	"github.com/dingbridge/dingbridge/provider/resolve"
)

// Demo clients of "dingbridge dev". The secret is a fixed development
// value, printed at start.
const (
	demoClientID     = "demo"
	demoClientSecret = "dingbridge-dev-demo-secret"
	demoMiniClientID = "demo-mini"
)

// Simulator script paths (DingTalk's own paths on g.alicdn.com).
const (
	simJSAPIScriptPath      = "/dingding/dingtalk-jsapi/3.1.0/dingtalk.open.js"
	simFrameLoginScriptPath = "/dingding/h5-dingtalk-login/0.21.0/ddlogin.js"
)

func devCommand() command {
	return command{
		name:    "dev",
		summary: "run a local demo: bridge, DingTalk simulator and a demo relying party",
		help: `Run everything needed to try dingbridge on one machine, with no
configuration and no DingTalk credentials: the built-in DingTalk simulator
with its demo directory (two corps, a few people, internal apps, an ISV
suite and a legacy login app) on its own listener, the provider in dev mode
on SQLite, configured with every demo app, and a demo relying party at
/demo/ registered as the client "demo" (plus "demo-mini" for the mini-program
token exchange). It prints the URLs to open. The configuration file and the
environment are not read. Every credential is a test value.

The second demo corp is configured for the in-client website login
(inClient: sns); the first uses the workspace JSAPI login.`,
		example: `dingbridge dev
dingbridge dev --listen 127.0.0.1:9000 --simulator-listen 127.0.0.1:9001 --db /tmp/demo.db`,
		setup: func(fs *flag.FlagSet, a *app) func(context.Context, []string) error {
			o := devOptions{}
			fs.StringVar(&o.listen, "listen", "127.0.0.1:8080", "listen `address` of the bridge and the demo relying party")
			fs.StringVar(&o.issuer, "issuer", "", "issuer `URL` (default http://localhost:<listen port>)")
			fs.StringVar(&o.simListen, "simulator-listen", "127.0.0.1:8081", "listen `address` of the DingTalk simulator")
			fs.StringVar(&o.db, "db", "dingbridge-dev.db", "SQLite database `file`")
			fs.StringVar(&o.logLevel, "log-level", "info", "log `level`: debug, info, warn or error")
			return func(ctx context.Context, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				return a.dev(ctx, o)
			}
		},
	}
}

// devOptions are the flags of "dingbridge dev".
type devOptions struct {
	listen, issuer, simListen, db, logLevel string
}

func (a *app) dev(ctx context.Context, o devOptions) error {
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	simLn, err := net.Listen("tcp", o.simListen)
	if err != nil {
		return fmt.Errorf("listen (simulator): %w", err)
	}
	defer simLn.Close()
	if o.issuer == "" {
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		o.issuer = "http://localhost:" + port
	}
	simURL := devSimURL(o.issuer, simLn.Addr())

	sim := dingtalktest.NewSimulator(dingtalktest.DemoDirectory())
	dir := sim.Directory()
	for i, su := range dir.Suites {
		dir.Suites[i].Ticket = sim.SuiteTicket(su.SuiteKey)
	}
	cfg := devConfig(o, simURL, dir)
	s, err := validate(cfg, nil)
	if err != nil {
		return err
	}
	demo := newDemoRP(demoConfig{
		issuer: o.issuer, clientID: demoClientID, secret: demoClientSecret, miniClientID: demoMiniClientID,
		sim: sim, simURL: simURL,
	})

	simSrv := &http.Server{Handler: devSimulator(sim), ReadHeaderTimeout: readHeaderTimeout}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := simSrv.Serve(simLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(a.stderr, "dingbridge dev: simulator: %v\n", err)
		}
	})
	defer func() {
		shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = simSrv.Shutdown(shutCtx)
		wg.Wait()
	}()

	return a.serveWith(ctx, s, serveExtras{
		listener: ln,
		routes:   func(mux *http.ServeMux) { mux.Handle("/demo/", demo) },
		started:  func() { printDevURLs(a.stdout, o.issuer, simURL, dir) },
	})
}

// devSimURL is where browsers and the bridge reach the simulator. When
// the issuer and the simulator are both on this machine, it is on the
// issuer's host name: cookies are per host, not per port, so the demo's
// dev cookie reaches the simulator too, and the simulator's pages and
// scripts are same-site with the bridge's, as DingTalk's are for a
// browser that is the DingTalk client.
func devSimURL(issuer string, addr net.Addr) string {
	hp := hostPort(addr)
	host, port, err := net.SplitHostPort(hp)
	u, perr := url.Parse(issuer)
	if err != nil || perr != nil || !isLoopbackHost(host) || !isLoopbackHost(u.Hostname()) {
		return "http://" + hp
	}
	return "http://" + net.JoinHostPort(u.Hostname(), port)
}

// isLoopbackHost reports whether host names this machine's loopback
// interface.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// devUserAgent is added to the User-Agent of a browser that pretends to
// be DingTalk when it talks to the simulator.
const devUserAgent = "AliApp(DingTalk/7.6.0)"

// devSimulator serves the simulator so that a browser pretending to be
// DingTalk (the demo's dev cookie, which makes the bridge show the
// workspace page) counts as the DingTalk client at the simulator too, as
// if it had DingTalk's User-Agent: its dd shim then answers with a code
// and its sns_authorize signs the client's user in.
func devSimulator(sim http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie(login.DevClientCookie); err == nil && c.Value == "dingtalk" {
			r = r.Clone(r.Context())
			r.Header.Set("User-Agent", strings.TrimSpace(r.UserAgent()+" "+devUserAgent))
		}
		sim.ServeHTTP(w, r)
	})
}

// devConfig is the configuration of "dingbridge dev": dev mode on SQLite,
// the dingtalk section filled from the simulator's directory, and the demo
// clients.
func devConfig(o devOptions, simURL string, dir dingtalktest.Directory) Config {
	cfg := defaultConfig()
	cfg.Dev = true
	cfg.Issuer = o.issuer
	cfg.Listen = o.listen
	cfg.Log = LogConfig{Level: o.logLevel, Format: "text"}
	cfg.Database.URL = "sqlite:" + o.db
	cfg.DingTalk = devDingTalk(simURL, dir)

	origin := originOf(o.issuer)
	cfg.Clients = []ClientConfig{{
		ID:                     demoClientID,
		Name:                   "dingbridge demo",
		Secret:                 demoClientSecret,
		RedirectURIs:           []string{origin + "/demo/callback"},
		PostLogoutRedirectURIs: []string{origin + "/demo/"},
		InitiateLoginURI:       origin + "/demo/login",
		GrantTypes:             []string{"authorization_code", "refresh_token", provider.GrantTokenExchange},
		Policy: ClientPolicyConfig{
			Email: "org", Groups: "names", AlwaysRelease: []string{"profile", "email", "groups"},
		},
	}, {
		ID:              demoMiniClientID,
		Name:            "dingbridge demo mini program",
		Public:          true,
		ApplicationType: "native",
		GrantTypes:      []string{provider.GrantTokenExchange, "refresh_token"},
		Policy:          ClientPolicyConfig{Email: "org", AlwaysRelease: []string{"profile", "email", "groups"}},
	}}
	return cfg
}

// devDingTalk configures every app of dir: each corp's internal app with
// the corp's SSO secret (the second corp logs in inside DingTalk with
// sns_authorize), the suites with their current tickets, and the legacy
// login apps.
func devDingTalk(simURL string, dir dingtalktest.Directory) DingTalkConfig {
	d := defaultDingTalkConfig()
	d.Endpoints = DingTalkEndpoints{OAPI: simURL, API: simURL, Login: simURL}
	d.JSAPIScriptURL = simURL + simJSAPIScriptPath
	d.FrameLoginScriptURL = simURL + simFrameLoginScriptPath
	names := map[string]string{}
	ssoSecrets := map[string]string{}
	for _, c := range dir.Corps {
		names[c.CorpID], ssoSecrets[c.CorpID] = c.Name, c.SSOSecret
	}
	served := map[string]bool{}
	for _, app := range dir.Apps {
		if served[app.CorpID] {
			continue // one internal app per corp
		}
		served[app.CorpID] = true
		c := DingTalkCorpConfig{
			CorpID: app.CorpID, Name: names[app.CorpID], AppKey: app.AppKey, AppSecret: app.AppSecret,
			AgentID: app.AgentID, SSOSecret: ssoSecrets[app.CorpID],
		}
		if app.CorpID == dingtalktest.DemoCorp2ID {
			c.InClient = resolve.InClientSNS
		}
		d.Corps = append(d.Corps, c)
	}
	for _, s := range dir.Suites {
		sc := DingTalkSuiteConfig{SuiteKey: s.SuiteKey, SuiteSecret: s.SuiteSecret, Ticket: s.Ticket}
		for _, corp := range s.AuthorizedCorps {
			sc.Corps = append(sc.Corps, DingTalkSuiteCorpConfig{CorpID: corp, Name: names[corp]})
		}
		d.Suites = append(d.Suites, sc)
	}
	for _, l := range dir.LoginApps {
		d.LoginApps = append(d.LoginApps, DingTalkLoginAppConfig{AppID: l.AppID, AppSecret: l.AppSecret})
	}
	return d
}

// originOf returns scheme://host of an absolute URL.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Scheme + "://" + u.Host
}

// printDevURLs prints where to click.
func printDevURLs(w io.Writer, issuer, simURL string, dir dingtalktest.Directory) {
	demo := originOf(issuer) + "/demo/"
	fmt.Fprintf(w, `
dingbridge dev is running. Every credential below is a test value.

  Demo relying party   %s
  Issuer (discovery)   %s/.well-known/openid-configuration
  DingTalk simulator   %s/__sim/   (pick who is logged in to the DingTalk client)

Flows (open in a browser):
  QR / DingTalk login page   %sstart
  Admin console entry        %sadmin?corpId=%s
  Workspace entry            %s/dingtalk/start/%s?corpId=%s
  Mini program               %smini
  Inside DingTalk            on %s press "Pretend to be DingTalk", or send a DingTalk User-Agent

Clients:
  %s (confidential)  client_secret %s
  %s (public, token exchange for mini programs)

`, demo, issuer, simURL, demo, demo, dingtalktest.DemoCorpID, issuer, demoClientID, dingtalktest.DemoCorpID,
		demo, demo, demoClientID, demoClientSecret, demoMiniClientID)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "People (password "+dingtalktest.DemoPassword+"):\nCORP\tUSER ID\tNAME\tACCOUNT\tNOTES")
	names := map[string]string{}
	for _, c := range dir.Corps {
		names[c.CorpID] = c.Name
	}
	for _, u := range dir.Users {
		var notes []string
		if u.Admin {
			notes = append(notes, "admin")
		}
		if u.Boss {
			notes = append(notes, "boss")
		}
		if u.Inactive {
			notes = append(notes, "inactive")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", names[u.CorpID], u.UserID, u.Name, orDefault(u.Mobile, u.Email), strings.Join(notes, ","))
	}
	tw.Flush()
	fmt.Fprintln(w)
}
