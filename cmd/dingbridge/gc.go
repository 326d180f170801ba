package main

import "runtime/debug"

// serveGCPercent is the garbage collector's target (GOGC) for serve when
// the environment does not set GOGC. A login allocates little that lives
// on; collecting at 200% instead of Go's 100% growth of the live heap cut
// the bridge's CPU per login by about a tenth in dingbridge-bench (16
// users, PostgreSQL) for about 5 MiB more peak RSS (BENCHMARKS.md).
const serveGCPercent = 200

// tuneGC applies serveGCPercent unless GOGC is set, so operators keep the
// last word.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
}
