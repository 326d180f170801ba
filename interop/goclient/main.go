// Command goclient is the interop suite's Go relying party: coreos/go-oidc
// for discovery and ID-token verification and golang.org/x/oauth2 for the
// code flow (the stack Grafana and many Go services use). It talks to the
// runner on stdin/stdout: for every browser step it prints
//
//	BROWSE <stop-prefix> <url>
//
// and reads back one line, the URL the browser stopped at (or
// "ERROR <reason>"). Progress lines start with "STEP"; the last line is
// "OK <summary>" (exit 0) or "ERROR <reason>" (exit 1).
//
// With -profile dingbridge it runs the whole provider conversation
// against dingbridge: discovery, PKCE S256 + state + nonce, code exchange,
// ID-token verification, userinfo (same sub), refresh, introspection,
// revocation, single sign-on with prompt=none, end_session, and
// prompt=none again (login_required). With -profile broker it logs in
// through a broker (Dex) and checks the DingTalk identity in the ID token
// the broker issues, then refreshes through it.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

// options are the command-line flags.
type options struct {
	profile       string
	issuer        string
	clientID      string
	clientSecret  string
	redirectURI   string
	postLogoutURI string
	scopes        string
	wantEmail     string
	wantName      string
	wantGroups    string
}

func main() {
	var o options
	flag.StringVar(&o.profile, "profile", "dingbridge", "`profile`: dingbridge (every endpoint) or broker (login and refresh through a broker)")
	flag.StringVar(&o.issuer, "issuer", "", "issuer `URL`")
	flag.StringVar(&o.clientID, "client-id", "", "client `id`")
	flag.StringVar(&o.clientSecret, "client-secret", "", "client `secret` (or env GOCLIENT_SECRET)")
	flag.StringVar(&o.redirectURI, "redirect-uri", "", "registered redirect `URI`")
	flag.StringVar(&o.postLogoutURI, "post-logout-uri", "", "registered post-logout redirect `URI` (profile dingbridge)")
	flag.StringVar(&o.scopes, "scopes", "openid profile email groups offline_access", "space-separated `scopes`")
	flag.StringVar(&o.wantEmail, "want-email", "", "expected email claim")
	flag.StringVar(&o.wantName, "want-name", "", "expected name claim")
	flag.StringVar(&o.wantGroups, "want-groups", "", "expected groups claim, comma-separated, any order")
	flag.Parse()
	if o.clientSecret == "" {
		o.clientSecret = os.Getenv("GOCLIENT_SECRET")
	}
	if o.issuer == "" || o.clientID == "" || o.redirectURI == "" {
		fmt.Fprintln(os.Stderr, "goclient: -issuer, -client-id and -redirect-uri are required")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rp := &relyingParty{o: o, in: bufio.NewScanner(os.Stdin)}
	var (
		summary string
		err     error
	)
	switch o.profile {
	case "dingbridge":
		summary, err = rp.dingbridge(ctx)
	case "broker":
		summary, err = rp.broker(ctx)
	default:
		err = fmt.Errorf("unknown profile %q", o.profile)
	}
	if err != nil {
		fmt.Printf("ERROR %s\n", oneLine(err.Error()))
		os.Exit(1)
	}
	fmt.Printf("OK %s\n", summary)
}

// relyingParty is one run of the client.
type relyingParty struct {
	o  options
	in *bufio.Scanner
	// findings are failed checks that do not stop the run, so one run
	// reports every later check too.
	findings []string
}

// finding records a failed check and goes on.
func (rp *relyingParty) finding(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	rp.findings = append(rp.findings, msg)
	fmt.Printf("STEP FAILED: %s\n", msg)
}

// findingsError is the run's findings as one error, nil without any.
func (rp *relyingParty) findingsError() error {
	if len(rp.findings) == 0 {
		return nil
	}
	return errors.New(strings.Join(rp.findings, "; "))
}

// step reports progress to the runner.
func (rp *relyingParty) step(format string, args ...any) {
	fmt.Printf("STEP %s\n", fmt.Sprintf(format, args...))
}

// browse asks the runner's browser to open target and returns the URL it
// stopped at (the first one starting with stop).
func (rp *relyingParty) browse(target, stop string) (string, error) {
	fmt.Printf("BROWSE %s %s\n", stop, target)
	if !rp.in.Scan() {
		return "", fmt.Errorf("browser: no answer from the runner")
	}
	line := strings.TrimSpace(rp.in.Text())
	if reason, ok := strings.CutPrefix(line, "ERROR "); ok {
		return "", fmt.Errorf("browser: %s", reason)
	}
	return line, nil
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
