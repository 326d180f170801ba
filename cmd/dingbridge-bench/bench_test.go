package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary serve as the bench's simulator process,
// which the bench starts as "<own executable> sim".
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "sim" {
		if err := simMain(context.Background(), os.Args[2:], os.Stdout, os.Stderr, os.Stdin); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// buildBridge builds the dingbridge binary for the end-to-end tests.
func buildBridge(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs dingbridge")
	}
	bin := filepath.Join(t.TempDir(), "dingbridge")
	cmd := exec.Command("go", "build", "-o", bin, "../dingbridge")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func runBench(t *testing.T, args ...string) result {
	t.Helper()
	out := filepath.Join(t.TempDir(), "result.json")
	var stdout strings.Builder
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	if err := benchMain(ctx, append(args, "--json", out), &stdout, &stdout); err != nil {
		t.Fatalf("bench %q: %v\n%s", args, err, stdout.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var r result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "median of 1 run(s)") {
		t.Errorf("report has no summary:\n%s", stdout.String())
	}
	return r
}

// TestBenchDrivesDingbridgeLogins spawns dingbridge on SQLite with a
// simulator and runs complete logins of two people: every one succeeds,
// every step is timed, the server's CPU and memory are read, and each login
// costs the QR flow's three DingTalk calls with warm caches (E9 only on a
// person's first login in the process).
func TestBenchDrivesDingbridgeLogins(t *testing.T) {
	bin := buildBridge(t)
	const people = 2
	r := runBench(t, "--spawn", "--bin", bin, "--db", "sqlite", "--users", "2", "--duration", "2s", "--warmup", "1s",
		"--people", strconv.Itoa(people), "--offline")
	if len(r.Runs) != 1 {
		t.Fatalf("runs = %d, want 1", len(r.Runs))
	}
	w := r.Runs[0]
	if w.Units == 0 || w.errorCount() != 0 {
		t.Fatalf("units %d, errors %v; want logins and no errors", w.Units, w.Errors)
	}
	for _, step := range []string{"flow", "authorize", "dingtalk", "callback", "token", "userinfo"} {
		if w.Steps[step].N != w.Units {
			t.Errorf("step %s timed %d times, want %d", step, w.Steps[step].N, w.Units)
		}
	}
	if w.CPUServerMs <= 0 || r.ReadyMs <= 0 || r.PeakRSSMiB <= 0 {
		t.Errorf("server CPU %v ms, ready %v ms, peak RSS %v MiB; want all positive", w.CPUServerMs, r.ReadyMs, r.PeakRSSMiB)
	}
	if sum := w.MachineBusy + w.MachineIdle + w.MachineSteal; w.MachineBusy <= 0 || sum < 0.999 || sum > 1.001 {
		t.Errorf("machine shares busy %v idle %v steal %v; want busy > 0 and a sum of 1", w.MachineBusy, w.MachineIdle, w.MachineSteal)
	}
	// E2 userAccessToken, E3 users/me, E8 user/get.
	for _, ep := range []string{"POST /v1.0/oauth2/userAccessToken", "GET /v1.0/contact/users/{unionId}",
		"POST /topapi/v2/user/get"} {
		if got := w.DingTalkCalls[ep]; got < 0.99 || got > 1.5 {
			t.Errorf("%s per login = %.3f, want about 1", ep, got)
		}
	}
	// E9 getbyunionid: at most once per person in the whole process.
	if got := w.DingTalkCalls["POST /topapi/user/getbyunionid"] * float64(w.Units); got > people+0.01 {
		t.Errorf("getbyunionid calls in the run = %.1f, want at most %d (one per person)", got, people)
	}
}

// TestBenchTokenModes runs the token-endpoint-only modes.
func TestBenchTokenModes(t *testing.T) {
	bin := buildBridge(t)
	for _, mode := range []string{modeRefresh, modeClientCredentials, modeIntrospect} {
		t.Run(mode, func(t *testing.T) {
			r := runBench(t, "--spawn", "--bin", bin, "--db", "sqlite", "--users", "2", "--duration", "1s",
				"--warmup", "1s", "--mode", mode)
			w := r.Runs[0]
			if w.Units == 0 || w.errorCount() != 0 {
				t.Errorf("%s: units %d, errors %v; want units and no errors", mode, w.Units, w.Errors)
			}
		})
	}
}
