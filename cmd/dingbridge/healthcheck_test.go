package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHealthcheckAgainstServe probes a real "dingbridge serve": both probes
// pass, an unknown path does not.
func TestHealthcheckAgainstServe(t *testing.T) {
	env, _ := sqliteEnv(t)
	base, _ := startServe(t, env)
	for _, path := range []string{"/readyz", "/healthz"} {
		out := mustRun(t, nil, "healthcheck", "--url", base+path)
		if !strings.Contains(out, "200 OK") {
			t.Errorf("healthcheck %s: stdout %q, want the 200 status", path, out)
		}
	}
	r := runCLI(t, nil, "healthcheck", "--url", base+"/no-such-probe")
	if r.code != exitRuntime || !strings.Contains(r.stderr, "404") {
		t.Errorf("healthcheck of a missing path: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestHealthcheckFailures(t *testing.T) {
	notReady := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("not ready\n"))
	}))
	defer notReady.Close()
	redirect := httptest.NewServer(http.RedirectHandler(notReady.URL, http.StatusFound))
	defer redirect.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/readyz"
	ln.Close()

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"503", []string{"--url", notReady.URL + "/readyz"}, exitRuntime, "503 Service Unavailable: not ready"},
		{"redirect not followed", []string{"--url", redirect.URL}, exitRuntime, "302 Found"},
		{"refused", []string{"--url", refused}, exitRuntime, "connection refused"},
		{"not a URL", []string{"--url", "127.0.0.1:8080/readyz"}, exitUsage, "want an absolute http(s) URL"},
		{"bad timeout", []string{"--timeout", "0s"}, exitUsage, "--timeout: must be positive"},
		{"arguments", []string{"extra"}, exitUsage, "unexpected arguments: extra"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, nil, append([]string{"healthcheck"}, tc.args...)...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", r.code, tc.code, r.stderr, tc.want)
			}
		})
	}
}
