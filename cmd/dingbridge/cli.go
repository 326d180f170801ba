package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// command is one subcommand. setup registers its flags on fs and returns
// the function that runs it once the flags are parsed; args are the
// remaining positional arguments.
type command struct {
	name    string // "serve", "migrate up"
	args    string // positional arguments in the usage line, e.g. "ID"
	summary string
	help    string
	example string
	setup   func(fs *flag.FlagSet, a *app) func(ctx context.Context, args []string) error
}

// commands lists every subcommand in help order.
func commands() []command {
	return []command{
		serveCommand(),
		migrateUpCommand(), migrateStatusCommand(),
		clientCreateCommand(), clientListCommand(), clientShowCommand(),
		clientUpdateCommand(), clientDeleteCommand(), clientRotateSecretCommand(),
		keysListCommand(), keysRotateCommand(),
		devCommand(),
		simulatorCommand(),
		versionCommand(),
		healthcheckCommand(),
	}
}

// groups are the commands that only hold subcommands.
var groups = map[string]string{
	"migrate": "apply or inspect database schema migrations",
	"client":  "manage OIDC clients (relying parties) stored in the database",
	"keys":    "list or rotate token signing keys",
}

// usageError is a command-line mistake; it exits with status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// configFlag is --config; it records that the path was given explicitly.
type configFlag struct{ a *app }

func (f configFlag) String() string {
	if f.a == nil {
		return ""
	}
	return f.a.configPath
}

func (f configFlag) Set(v string) error {
	f.a.configPath, f.a.configSet = v, true
	return nil
}

const configUsage = "configuration `file` (env DINGBRIDGE_CONFIG); a missing default file means defaults and environment only"

func (a *app) run(ctx context.Context, args []string) int {
	a.configPath = defaultConfigPath
	if p := a.getenv("DINGBRIDGE_CONFIG"); p != "" {
		a.configPath, a.configSet = p, true
	}
	global := flag.NewFlagSet("dingbridge", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	global.Var(configFlag{a}, "config", configUsage)
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			a.printHelp(a.stdout)
			return exitOK
		}
		fmt.Fprintf(a.stderr, "dingbridge: %v\n\n", err)
		a.printHelp(a.stderr)
		return exitUsage
	}
	args = global.Args()
	if len(args) == 0 {
		a.printHelp(a.stderr)
		return exitUsage
	}
	if args[0] == "help" {
		return a.help(args[1:])
	}
	cmd, rest, err := findCommand(args)
	if err != nil {
		if g, ok := groups[args[0]]; ok && (len(args) == 1 || isHelpFlag(args[1])) {
			w, code := a.stderr, exitUsage
			if len(args) > 1 {
				w, code = a.stdout, exitOK
			}
			a.printGroupHelp(w, args[0], g)
			return code
		}
		fmt.Fprintf(a.stderr, "dingbridge: %v\nRun \"dingbridge help\" for the list of commands.\n", err)
		return exitUsage
	}
	return a.runCommand(ctx, cmd, rest)
}

func isHelpFlag(s string) bool {
	return s == "-h" || s == "-help" || s == "--help" || s == "-?"
}

// findCommand resolves "serve" or "migrate up" and returns the remaining
// arguments.
func findCommand(args []string) (command, []string, error) {
	for _, c := range commands() {
		words := strings.Fields(c.name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == c.name {
			return c, args[len(words):], nil
		}
	}
	if _, ok := groups[args[0]]; ok && len(args) > 1 {
		return command{}, nil, fmt.Errorf("unknown command %q", args[0]+" "+args[1])
	}
	return command{}, nil, fmt.Errorf("unknown command %q", args[0])
}

func (a *app) runCommand(ctx context.Context, c command, args []string) int {
	fs := flag.NewFlagSet("dingbridge "+c.name, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	fs.Usage = func() {}
	fs.Var(configFlag{a}, "config", configUsage)
	runFn := c.setup(fs, a)
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printCommandHelp(a.stdout, c, fs)
			return exitOK
		}
		fmt.Fprintf(a.stderr, "Run \"dingbridge %s --help\" for usage.\n", c.name)
		return exitUsage
	}
	err = runFn(ctx, positional)
	var ue *usageError
	var ce *ConfigError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(a.stderr, "dingbridge %s: %v\nRun \"dingbridge %s --help\" for usage.\n", c.name, err, c.name)
		return exitUsage
	case errors.As(err, &ce):
		fmt.Fprintf(a.stderr, "dingbridge: %v\n", err)
		return exitUsage
	default:
		fmt.Fprintf(a.stderr, "dingbridge %s: %v\n", c.name, err)
		return exitRuntime
	}
}

// parseInterspersed parses flags before and after positional arguments
// ("client show wiki --config f.yaml"); everything after "--" is
// positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

func (a *app) help(args []string) int {
	if len(args) == 0 {
		a.printHelp(a.stdout)
		return exitOK
	}
	c, rest, err := findCommand(args)
	if err != nil || len(rest) > 0 {
		if g, ok := groups[args[0]]; ok && len(args) == 1 {
			a.printGroupHelp(a.stdout, args[0], g)
			return exitOK
		}
		fmt.Fprintf(a.stderr, "dingbridge help: unknown command %q\n", strings.Join(args, " "))
		return exitUsage
	}
	fs := flag.NewFlagSet("dingbridge "+c.name, flag.ContinueOnError)
	fs.Var(configFlag{a}, "config", configUsage)
	c.setup(fs, a)
	printCommandHelp(a.stdout, c, fs)
	return exitOK
}

func (a *app) printHelp(w io.Writer) {
	fmt.Fprint(w, `dingbridge is an OpenID Connect provider whose only way to sign people in is
DingTalk (钉钉). Applications (OIDC clients) send users to it; it signs them in
with DingTalk and issues ID tokens, access tokens and refresh tokens.

Usage:
  dingbridge [--config FILE] COMMAND [flags] [arguments]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-22s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, `  %-22s %s

Global flags:
  --config FILE          %s

Every command accepts --help. Configuration keys and their environment
variables are described in docs/configuration.md.

Exit status: 0 success, 1 runtime error, 2 usage or configuration error.

Examples:
  dingbridge dev                           # local demo: simulator, bridge and a demo app
  dingbridge serve --config dingbridge.yaml
`, "help [COMMAND]", "show help for dingbridge or one command", strings.ReplaceAll(configUsage, "`", "")+" (default dingbridge.yaml)")
}

func (a *app) printGroupHelp(w io.Writer, group, summary string) {
	fmt.Fprintf(w, "dingbridge %s: %s.\n\nCommands:\n", group, summary)
	for _, c := range commands() {
		if strings.HasPrefix(c.name, group+" ") {
			fmt.Fprintf(w, "  %-22s %s\n", c.name, c.summary)
		}
	}
	fmt.Fprintf(w, "\nRun \"dingbridge %s COMMAND --help\" for details.\n", group)
}

func printCommandHelp(w io.Writer, c command, fs *flag.FlagSet) {
	usage := "dingbridge " + c.name + " [flags]"
	if c.args != "" {
		usage += " " + c.args
	}
	fmt.Fprintf(w, "Usage: %s\n\n%s\n\nFlags:\n", usage, strings.TrimSpace(c.help))
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprintf(w, "\nExample:\n%s\n", indent(strings.TrimSpace(c.example)))
}

func indent(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n")
}

// loadSettings reads and validates the configuration.
func (a *app) loadSettings() (*settings, error) {
	cfg, probs := loadConfig(a.configPath, a.configSet, a.getenv)
	return validate(cfg, probs)
}

// newLogger builds the logger the configuration asks for, writing to
// stderr.
func (a *app) newLogger(s *settings) *slog.Logger {
	opts := &slog.HandlerOptions{Level: s.logLevel}
	if s.cfg.Log.Format == "text" {
		return slog.New(slog.NewTextHandler(a.stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(a.stderr, opts))
}

// noArgs rejects positional arguments.
func noArgs(args []string) error {
	if len(args) > 0 {
		return usagef("unexpected arguments: %s", strings.Join(args, " "))
	}
	return nil
}
