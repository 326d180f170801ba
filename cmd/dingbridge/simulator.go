package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
)

func simulatorCommand() command {
	return command{
		name:    "simulator",
		summary: "run a local DingTalk simulator (development tool)",
		help: `Run a DingTalk simulator for development: one HTTP server that answers like
oapi.dingtalk.com, api.dingtalk.com and login.dingtalk.com, with a login
page where you pick a person (or type an account and password), the
DTFrameLogin and dd JSAPI scripts, and an admin page under /__sim/. Point
the bridge's DingTalk base URLs at it. Without --directory it serves a
built-in demo directory (two corps, a few people, one internal app per corp,
an ISV suite, a legacy login app). The demo credentials, secrets included,
are printed at start: they are test values, never use them elsewhere. It
does not read the configuration file.`,
		example: `dingbridge simulator
dingbridge simulator --listen 127.0.0.1:9090 --directory corp.yaml`,
		setup: func(fs *flag.FlagSet, a *app) func(context.Context, []string) error {
			listen := fs.String("listen", "127.0.0.1:8081", "listen `address`")
			dirFile := fs.String("directory", "", "directory `file` (.yaml, .yml or .json); default the built-in demo directory")
			return func(ctx context.Context, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				dir := dingtalktest.DemoDirectory()
				if *dirFile != "" {
					var err error
					if dir, err = dingtalktest.LoadDirectory(*dirFile); err != nil {
						return usagef("--directory: %v", err)
					}
				}
				return a.simulate(ctx, *listen, dir)
			}
		},
	}
}

func (a *app) simulate(ctx context.Context, listen string, dir dingtalktest.Directory) error {
	logger := slog.New(slog.NewTextHandler(a.stderr, nil))
	sim := dingtalktest.NewSimulator(dir)
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if a.onListen != nil {
		a.onListen(ln.Addr())
	}
	base := "http://" + hostPort(ln.Addr())
	printDirectory(a.stdout, base, sim.Directory())

	srv := &http.Server{
		Handler:           sim,
		ReadHeaderTimeout: readHeaderTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	logger.Info("DingTalk simulator serving", "url", base)
	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// hostPort names a listen address as a URL host, "localhost" for the
// unspecified address.
func hostPort(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// printDirectory prints the simulator's base URL and credentials.
func printDirectory(w io.Writer, base string, d dingtalktest.Directory) {
	fmt.Fprintf(w, "DingTalk simulator at %s (oapi, api and login hosts; admin page %s/__sim/)\n", base, base)
	fmt.Fprintln(w, "Test credentials only — never use them elsewhere.")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	section := func(title, header string) {
		fmt.Fprintf(tw, "\n%s\n%s\n", title, header)
	}
	section("Corps", "CORP ID\tNAME\tSSO SECRET")
	for _, c := range d.Corps {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.CorpID, c.Name, orDefault(c.SSOSecret, "-"))
	}
	if len(d.Apps) > 0 {
		section("Internal apps", "CORP ID\tNAME\tAGENT ID\tAPP KEY (client_id)\tAPP SECRET")
		for _, app := range d.Apps {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", app.CorpID, app.Name, app.AgentID, app.AppKey, app.AppSecret)
		}
	}
	if len(d.Suites) > 0 {
		section("ISV suites", "NAME\tSUITE KEY\tSUITE SECRET\tAUTHORIZED CORPS")
		for _, s := range d.Suites {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, s.SuiteKey, s.SuiteSecret, strings.Join(s.AuthorizedCorps, " "))
		}
	}
	if len(d.LoginApps) > 0 {
		section("Legacy login apps", "NAME\tAPP ID\tAPP SECRET")
		for _, l := range d.LoginApps {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", l.Name, l.AppID, l.AppSecret)
		}
	}
	section("People", "CORP ID\tUSER ID\tUNION ID\tNAME\tACCOUNT\tPASSWORD\tNOTES")
	for _, u := range d.Users {
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
		account := orDefault(u.Mobile, u.Email)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.CorpID, u.UserID, u.UnionID, u.Name,
			orDefault(account, "-"), orDefault(u.Password, "-"), orDefault(strings.Join(notes, ","), "-"))
	}
	tw.Flush()
}
