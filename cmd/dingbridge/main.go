// Command dingbridge is an OpenID Connect provider whose only way to sign
// people in is DingTalk.
//
// Run "dingbridge help" for the commands and "dingbridge help COMMAND" (or
// "dingbridge COMMAND --help") for one of them. Configuration is described in
// docs/configuration.md.
package main

import (
	"context"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2
)

// run executes one command line and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{stdout: stdout, stderr: stderr, getenv: getenv}
	return a.run(ctx, args)
}

// app carries what every command needs; tests build one directly to set the
// hooks.
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// configPath is the --config value; configSet reports whether it was
	// given (then the file must exist).
	configPath string
	configSet  bool
	// onListen, when set, is called by serve with the bound address before
	// it starts serving.
	onListen func(addr net.Addr)
}
