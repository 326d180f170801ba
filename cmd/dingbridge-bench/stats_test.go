package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestPercentilesNearestRank(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	l := summarise(ds)
	if l.N != 100 || l.P50 != 50*time.Millisecond || l.P95 != 95*time.Millisecond || l.P99 != 99*time.Millisecond || l.Max != 100*time.Millisecond {
		t.Errorf("summarise(1..100 ms) = %+v, want n 100, p50 50ms, p95 95ms, p99 99ms, max 100ms", l)
	}
	if got := summarise([]time.Duration{7}); got.P50 != 7 || got.P99 != 7 {
		t.Errorf("summarise(one) = %+v, want every percentile 7", got)
	}
	if got := summarise(nil); got.N != 0 {
		t.Errorf("summarise(nil) = %+v, want zero", got)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestProcOfSelf(t *testing.T) {
	// Burn some CPU so that at least one clock tick is counted.
	deadline := time.Now().Add(50 * time.Millisecond)
	x := 0
	for time.Now().Before(deadline) {
		x++
	}
	cpu, err := cpuTime(os.Getpid())
	if err != nil || cpu <= 0 {
		t.Errorf("cpuTime(self) = %v, %v; want positive", cpu, err)
	}
	m, err := memoryOf(os.Getpid())
	if err != nil || m.RSS <= 0 || m.HWM < m.RSS {
		t.Errorf("memoryOf(self) = %+v, %v; want 0 < RSS <= HWM", m, err)
	}
	if _, err := cpuTime(-1); err == nil {
		t.Error("cpuTime(-1) succeeded")
	}
}

func TestLoopbackOnly(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:80": true, "[::1]:1": true, "localhost:8080": true,
		"10.1.2.3:80": false, "example.com:443": false, "0.0.0.0:80": false,
	} {
		if err := requireLoopback(addr); (err == nil) != ok {
			t.Errorf("requireLoopback(%q) = %v, want ok %v", addr, err, ok)
		}
	}
	if err := checkLoopbackURL("https://id.example.com/authorize"); err == nil {
		t.Error("checkLoopbackURL accepted a remote URL")
	}
}

func TestFlagProblems(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--issuer", "https://id.example.com"}, "not loopback"},
		{[]string{"--target", "dex", "--mode", "introspect", "--issuer", "http://127.0.0.1:1"}, "Dex is driven in flow and refresh modes only"},
		{[]string{"--spawn"}, "--spawn needs --bin"},
		{[]string{}, "--issuer is required"},
		{[]string{"--spawn", "--bin", "x", "--target", "dex", "--db", "sqlite"}, "--db: postgres, or sqlite for dingbridge"},
	} {
		_, err := parseFlags(tc.args, &strings.Builder{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseFlags(%q) = %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
	o, err := parseFlags([]string{"--spawn", "--bin", "x", "--mode", "refresh"}, &strings.Builder{})
	if err != nil || !strings.HasSuffix(o.scope, " offline_access") {
		t.Errorf("refresh mode: scope %q, err %v; want offline_access added", o.scope, err)
	}
}
