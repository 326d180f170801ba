package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// latencyMs is a latency summary in milliseconds.
type latencyMs struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

func toMs(l latency) latencyMs {
	return latencyMs{N: l.N, P50: ms(l.P50), P95: ms(l.P95), P99: ms(l.P99), Max: ms(l.Max)}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// window is one measured run.
type window struct {
	Seconds   float64              `json:"seconds"`
	Units     int                  `json:"units"`
	PerSecond float64              `json:"per_second"`
	Errors    map[string]int       `json:"errors"`
	Steps     map[string]latencyMs `json:"steps"`
	// CPU per successful unit, in milliseconds.
	CPUServerMs     float64 `json:"cpu_server_ms"`
	CPUPostgresMs   float64 `json:"cpu_postgres_ms"`
	CPUTotalMs      float64 `json:"cpu_total_ms"` // server + PostgreSQL
	CPUSimulatorMs  float64 `json:"cpu_simulator_ms"`
	CPUBenchMs      float64 `json:"cpu_bench_ms"`
	PGBackends      int     `json:"pg_backends"`
	PGBackendsEnded int     `json:"pg_backends_ended"`
	// The machine's CPU time during the run (every process, all CPUs):
	// the shares busy, idle, and stolen by the hypervisor (a virtual
	// machine's CPUs waiting while the host runs something else: the
	// processes measured got less of the cores, whatever their own CPU).
	MachineBusy  float64 `json:"machine_busy"`
	MachineIdle  float64 `json:"machine_idle"`
	MachineSteal float64 `json:"machine_steal"`
	// DingTalk API calls per unit, by endpoint, and in all.
	DingTalkCalls        map[string]float64 `json:"dingtalk_calls,omitempty"`
	DingTalkCallsPerUnit float64            `json:"dingtalk_calls_per_unit"`
}

// errorCount is the number of failed units.
func (w window) errorCount() int {
	n := 0
	for _, v := range w.Errors {
		n += v
	}
	return n
}

// result is a whole bench invocation.
type result struct {
	Target    string  `json:"target"`
	Mode      string  `json:"mode"`
	Users     int     `json:"users"`
	Scope     string  `json:"scope"`
	Algorithm string  `json:"algorithm"`
	Storage   string  `json:"storage"`
	ReadyMs   float64 `json:"ready_ms"` // first start: fresh database, migrations and first key
	// RestartReadyMs is a second start on the migrated database.
	RestartReadyMs float64  `json:"restart_ready_ms"`
	RSSRestartMiB  float64  `json:"rss_restart_ready_mib"`
	RSSReadyMiB    float64  `json:"rss_ready_mib"`
	RSSIdleMiB     float64  `json:"rss_idle_after_load_mib"`
	PeakRSSMiB     float64  `json:"peak_rss_mib"`
	Runs           []window `json:"runs"`
	Median         medians  `json:"median"`
}

// medians are the medians over the runs.
type medians struct {
	PerSecond      float64            `json:"per_second"`
	CPUTotalMs     float64            `json:"cpu_total_ms"`
	CPUServerMs    float64            `json:"cpu_server_ms"`
	CPUPostgresMs  float64            `json:"cpu_postgres_ms"`
	CPUSimulatorMs float64            `json:"cpu_simulator_ms"`
	Errors         float64            `json:"errors"`
	P50            map[string]float64 `json:"p50_ms"`
	P99            map[string]float64 `json:"p99_ms"`
	DingTalkCalls  float64            `json:"dingtalk_calls_per_unit"`
}

func (r *result) summarise() {
	col := func(f func(window) float64) float64 {
		xs := make([]float64, len(r.Runs))
		for i, w := range r.Runs {
			xs[i] = f(w)
		}
		return median(xs)
	}
	m := medians{P50: map[string]float64{}, P99: map[string]float64{}}
	m.PerSecond = col(func(w window) float64 { return w.PerSecond })
	m.CPUTotalMs = col(func(w window) float64 { return w.CPUTotalMs })
	m.CPUServerMs = col(func(w window) float64 { return w.CPUServerMs })
	m.CPUPostgresMs = col(func(w window) float64 { return w.CPUPostgresMs })
	m.CPUSimulatorMs = col(func(w window) float64 { return w.CPUSimulatorMs })
	m.Errors = col(func(w window) float64 { return float64(w.errorCount()) })
	m.DingTalkCalls = col(func(w window) float64 { return w.DingTalkCallsPerUnit })
	steps := map[string]bool{}
	for _, w := range r.Runs {
		for k := range w.Steps {
			steps[k] = true
		}
	}
	for k := range steps {
		m.P50[k] = col(func(w window) float64 { return w.Steps[k].P50 })
		m.P99[k] = col(func(w window) float64 { return w.Steps[k].P99 })
	}
	r.Median = m
}

// stepOrder lists steps in the order a login takes them.
var stepOrder = []string{"flow", "authorize", "dingtalk", "callback", "login", "token", "refresh", "introspect", "userinfo"}

func orderedSteps(m map[string]latencyMs) []string {
	var out []string
	for _, s := range stepOrder {
		if _, ok := m[s]; ok {
			out = append(out, s)
		}
	}
	for _, s := range sortedKeys(m) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func printWindow(w io.Writer, i, n int, win window) {
	fmt.Fprintf(w, "\nrun %d/%d: %.1fs, %d units, %.1f/s, %d failed\n", i, n, win.Seconds, win.Units, win.PerSecond, win.errorCount())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "step\tn\tp50 ms\tp95 ms\tp99 ms\tmax ms\t")
	for _, s := range orderedSteps(win.Steps) {
		l := win.Steps[s]
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t\n", s, l.N, l.P50, l.P95, l.P99, l.Max)
	}
	tw.Flush()
	fmt.Fprintf(w, "CPU per unit: server %.3f ms + postgres %.3f ms (%d backends, %d ended) = %.3f ms; simulator %.3f ms; bench %.3f ms\n",
		win.CPUServerMs, win.CPUPostgresMs, win.PGBackends, win.PGBackendsEnded, win.CPUTotalMs, win.CPUSimulatorMs, win.CPUBenchMs)
	if win.MachineBusy+win.MachineIdle+win.MachineSteal > 0 {
		fmt.Fprintf(w, "machine CPU time: %.1f%% busy, %.1f%% idle, %.1f%% stolen by the hypervisor\n",
			100*win.MachineBusy, 100*win.MachineIdle, 100*win.MachineSteal)
	}
	if win.DingTalkCalls != nil {
		var parts []string
		for _, k := range sortedKeys(win.DingTalkCalls) {
			parts = append(parts, fmt.Sprintf("%s %.3f", k, win.DingTalkCalls[k]))
		}
		fmt.Fprintf(w, "DingTalk calls per unit: %.3f (%s)\n", win.DingTalkCallsPerUnit, strings.Join(parts, ", "))
	}
	for _, k := range sortedKeys(win.Errors) {
		fmt.Fprintf(w, "errors: %s × %d\n", k, win.Errors[k])
	}
}

func printSummary(w io.Writer, r result) {
	m := r.Median
	fmt.Fprintf(w, "\nmedian of %d run(s): %.1f units/s, CPU/unit %.3f ms (server %.3f + postgres %.3f), simulator %.3f ms, failed %.0f\n",
		len(r.Runs), m.PerSecond, m.CPUTotalMs, m.CPUServerMs, m.CPUPostgresMs, m.CPUSimulatorMs, m.Errors)
	var parts []string
	for _, s := range stepOrder {
		if v, ok := m.P50[s]; ok {
			parts = append(parts, fmt.Sprintf("%s p50 %.2f p99 %.2f", s, v, m.P99[s]))
		}
	}
	fmt.Fprintf(w, "latency ms: %s\n", strings.Join(parts, "; "))
	if r.Target == "dingbridge" {
		fmt.Fprintf(w, "DingTalk calls per unit: %.3f\n", m.DingTalkCalls)
	}
	fmt.Fprintf(w, "memory: ready %.1f MiB, idle after load %.1f MiB, peak %.1f MiB; ready after %.0f ms (fresh database), %.0f ms (restart, %.1f MiB)\n",
		r.RSSReadyMiB, r.RSSIdleMiB, r.PeakRSSMiB, r.ReadyMs, r.RestartReadyMs, r.RSSRestartMiB)
}
