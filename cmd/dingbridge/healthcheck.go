package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// defaultHealthcheckURL is the readiness probe of a server listening on the
// default address.
const defaultHealthcheckURL = "http://127.0.0.1:8080/readyz"

func healthcheckCommand() command {
	return command{
		name:    "healthcheck",
		summary: "probe a running server's health endpoint (for container health checks)",
		help: `Send one GET to a running server's probe and exit 0 when it answers 2xx,
1 otherwise (refused connection, timeout, any other status). It is the
health check of the container image, which has no shell or curl:
/readyz (the default) is ready when the database answers and signing keys
are loaded; /healthz only says the process serves HTTP. It does not read
the configuration file.`,
		example: `dingbridge healthcheck
dingbridge healthcheck --url http://127.0.0.1:8080/healthz --timeout 2s`,
		setup: func(fs *flag.FlagSet, a *app) func(context.Context, []string) error {
			target := fs.String("url", defaultHealthcheckURL, "probe `URL` (http or https)")
			timeout := fs.Duration("timeout", 5*time.Second, "give up after this `duration`")
			return func(ctx context.Context, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				u, err := url.Parse(*target)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return usagef("--url: want an absolute http(s) URL, got %q", *target)
				}
				if *timeout <= 0 {
					return usagef("--timeout: must be positive")
				}
				status, err := probe(ctx, u.String(), *timeout)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s: %s\n", u.Redacted(), status)
				return nil
			}
		},
	}
}

// probe GETs target and returns the status line of a 2xx answer; any other
// answer or a transport failure is an error naming the status and the
// first line of the body.
func probe(ctx context.Context, target string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return "", fmt.Errorf("probe: %w", err)
	}
	client := &http.Client{
		// A probe judges the URL it was given, not wherever it redirects.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return "", fmt.Errorf("probe: no answer within %s", timeout)
		}
		return "", fmt.Errorf("probe: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	first, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		if first != "" {
			return "", fmt.Errorf("probe: %s: %s", resp.Status, first)
		}
		return "", fmt.Errorf("probe: %s", resp.Status)
	}
	return resp.Status, nil
}
