// Command dingbridge-bench is a load generator for dingbridge (and, to
// compare, for Dex): virtual users, each with its own cookie jar, run
// complete browser logins — /authorize, the login page, the DingTalk
// simulator's login form, the callback, the redirect with a code, the
// token request and userinfo — or token-endpoint-only work (refresh
// rotation, client_credentials) or introspection, for a duration or a
// count. It reports units per second, p50/p95/p99 of the whole unit and of
// each step, errors by kind, the CPU per unit of the server and of the
// PostgreSQL backends serving its database (from /proc), the simulator's
// CPU apart, DingTalk calls per login from the simulator's counters, peak
// and idle RSS and the time to ready.
//
// It either starts everything itself (--spawn: a DingTalk simulator in its
// own process, a fresh database, dingbridge or Dex with a generated
// configuration) or drives a running server (--issuer with --pid). It only
// talks to loopback addresses and stops by itself. BENCHMARKS.md shows the
// commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
)

// The generator's and the simulator's runtime: they share the machine's
// cores with the servers they measure, and each needs well under one core.
// With one P a goroutine that parks leaves no other P spinning to look for
// work, and a larger GC target collects less often; the environment's
// GOMAXPROCS and GOGC keep the last word.
const (
	benchProcs     = 1
	benchGCPercent = 400
)

func tuneRuntime() {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(benchProcs)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(benchGCPercent)
	}
}

func main() {
	tuneRuntime()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var err error
	if len(os.Args) > 1 && os.Args[1] == "sim" {
		err = simMain(ctx, os.Args[2:], os.Stdout, os.Stderr, os.Stdin)
	} else {
		err = benchMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dingbridge-bench:", err)
		os.Exit(1)
	}
}

// usage is printed by --help.
const usage = `usage: dingbridge-bench [flags]
       dingbridge-bench sim [--listen ADDR] [--users N]

Start dingbridge with a simulator and a fresh PostgreSQL database, and run
16 virtual users doing complete logins for 60 seconds, three times:

  go build -o /tmp/dingbridge ./cmd/dingbridge
  go build -o /tmp/dingbridge-bench ./cmd/dingbridge-bench
  /tmp/dingbridge-bench --spawn --bin /tmp/dingbridge --users 16 --duration 60s --runs 3

The same against Dex (mockCallback connector, PostgreSQL storage):

  /tmp/dingbridge-bench --spawn --target dex --bin /path/to/dex --users 16 --duration 60s --runs 3

Flags:
`

func writeUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, usage)
	fs.SetOutput(w)
	fs.PrintDefaults()
}
