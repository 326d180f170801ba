package main

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
)

// Build metadata, set by the linker:
//
//	go build -ldflags "-X main.version=v1.2.3 -X main.commit=$(git rev-parse HEAD)" ./cmd/dingbridge
//
// When unset, buildVersion falls back to the module and VCS information Go
// embeds in the binary.
var (
	version string
	commit  string
)

// buildVersion returns the version and commit of this binary.
func buildVersion() (ver, rev string, modified bool) {
	ver, rev = version, commit
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return orDefault(ver, "(devel)"), rev, false
	}
	if ver == "" {
		ver = info.Main.Version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			if rev == "" {
				rev = s.Value
			}
		case "vcs.modified":
			modified = s.Value == "true" && commit == ""
		}
	}
	return orDefault(ver, "(devel)"), rev, modified
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func versionCommand() command {
	return command{
		name:    "version",
		summary: "print the version and commit of this binary",
		help: `Print the version and the VCS commit this binary was built from, and the Go
version that built it. Release builds set them with -ldflags "-X
main.version=… -X main.commit=…"; other builds report what Go recorded in
the binary (module version, vcs.revision, and "+dirty" for uncommitted
changes).`,
		example: `dingbridge version`,
		setup: func(fs *flag.FlagSet, a *app) func(context.Context, []string) error {
			return func(_ context.Context, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				ver, rev, modified := buildVersion()
				fmt.Fprintf(a.stdout, "dingbridge %s\n", ver)
				if rev != "" {
					if modified {
						rev += "+dirty"
					}
					fmt.Fprintf(a.stdout, "commit %s\n", rev)
				}
				fmt.Fprintf(a.stdout, "%s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
				return nil
			}
		},
	}
}
