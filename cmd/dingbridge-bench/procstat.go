package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat;
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// cpuTime is the CPU time (user + system) pid has used so far.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read stat of %d: %w", pid, err)
	}
	// The command name may contain spaces and parentheses: fields start
	// after the last ')'. utime and stime are fields 14 and 15 (1-based),
	// i.e. the 12th and 13th after the name.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("stat of %d: malformed", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("stat of %d: malformed", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("stat of %d: malformed times", pid)
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// machineTimes are the machine's CPU times so far, in ticks of all CPUs
// together, from the "cpu" line of /proc/stat: busy (user, nice, system,
// irq, softirq), idle (idle, iowait) and steal, the time a virtual
// machine's CPUs were ready to run but the hypervisor ran something else.
type machineTimes struct{ busy, idle, steal int64 }

// readMachineTimes reads machineTimes from /proc/stat.
func readMachineTimes() (machineTimes, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineTimes{}, err
	}
	return parseMachineTimes(b)
}

func parseMachineTimes(stat []byte) (machineTimes, error) {
	line, _, _ := bytes.Cut(stat, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 9 || f[0] != "cpu" {
		return machineTimes{}, fmt.Errorf("/proc/stat: no cpu line")
	}
	var v [8]int64 // user nice system idle iowait irq softirq steal
	for i := range v {
		n, err := strconv.ParseInt(f[i+1], 10, 64)
		if err != nil {
			return machineTimes{}, fmt.Errorf("/proc/stat: %w", err)
		}
		v[i] = n
	}
	return machineTimes{busy: v[0] + v[1] + v[2] + v[5] + v[6], idle: v[3] + v[4], steal: v[7]}, nil
}

// shares are the busy, idle and stolen parts of the machine's CPU time
// from t0 to t, each between 0 and 1; all zero when no time passed.
func (t machineTimes) shares(t0 machineTimes) (busy, idle, steal float64) {
	b, i, s := t.busy-t0.busy, t.idle-t0.idle, t.steal-t0.steal
	all := float64(b + i + s)
	if all <= 0 {
		return 0, 0, 0
	}
	return float64(b) / all, float64(i) / all, float64(s) / all
}

// memory is a process's resident set: now and its peak.
type memory struct {
	RSS, HWM int64 // bytes
}

// memoryOf reads VmRSS and VmHWM of pid.
func memoryOf(pid int) (memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, fmt.Errorf("read status of %d: %w", pid, err)
	}
	var m memory
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		var dst *int64
		switch k {
		case "VmRSS":
			dst = &m.RSS
		case "VmHWM":
			dst = &m.HWM
		default:
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return memory{}, fmt.Errorf("status of %d: %s: %w", pid, k, err)
		}
		*dst = kb << 10
	}
	return m, nil
}

// pgBackends follows the CPU of the PostgreSQL backends serving one
// database: it lists them in pg_stat_activity every interval and reads
// their /proc stat, so that backends which start during the window count
// from zero and those that end count up to their last sample.
type pgBackends struct {
	conn     *pgx.Conn
	database string
	// connMu serialises use of conn.
	connMu sync.Mutex

	// mu guards the fields below.
	mu sync.Mutex
	// base is each backend's CPU time when first seen (zero for backends
	// started after the window opened); last its latest sample.
	base, last map[int]time.Duration
	started    bool
	gone       int // backends seen in the window but not in the latest sample
}

// newPGBackends connects to the server at adminURL (a database other than
// the one measured, so the sampler's own backend is not counted).
func newPGBackends(ctx context.Context, adminURL, database string) (*pgBackends, error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	return &pgBackends{conn: conn, database: database, base: map[int]time.Duration{}, last: map[int]time.Duration{}}, nil
}

// Close closes the sampler's connection.
func (p *pgBackends) Close() { _ = p.conn.Close(context.Background()) }

func (p *pgBackends) pids(ctx context.Context) ([]int, error) {
	rows, err := p.conn.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, p.database)
	if err != nil {
		return nil, fmt.Errorf("list backends: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[int])
}

// sample reads every current backend; the first call opens the window.
func (p *pgBackends) sample(ctx context.Context) error {
	p.connMu.Lock()
	pids, err := p.pids(ctx)
	p.connMu.Unlock()
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	seen := make(map[int]bool, len(pids))
	for _, pid := range pids {
		t, err := cpuTime(pid)
		if err != nil {
			continue // exited between the query and the read
		}
		seen[pid] = true
		if _, ok := p.base[pid]; !ok {
			if p.started {
				p.base[pid] = 0
			} else {
				p.base[pid] = t
			}
		}
		p.last[pid] = t
	}
	p.gone = len(p.last) - len(seen) // ended backends keep their last sample
	p.started = true
	return nil
}

// reset starts a new window at the current samples.
func (p *pgBackends) reset(ctx context.Context) error {
	p.mu.Lock()
	p.base, p.last, p.started, p.gone = map[int]time.Duration{}, map[int]time.Duration{}, false, 0
	p.mu.Unlock()
	return p.sample(ctx)
}

// total is the CPU the backends used since reset, and how many backends
// took part.
func (p *pgBackends) total() (cpu time.Duration, backends, ended int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for pid, last := range p.last {
		cpu += last - p.base[pid]
	}
	return cpu, len(p.last), p.gone
}

// run samples every interval until stop is closed. A sample in progress
// is finished, not cancelled: cancelling a query would close the
// connection.
func (p *pgBackends) run(stop <-chan struct{}, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = p.sample(ctx)
			cancel()
		}
	}
}
