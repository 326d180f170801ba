package main

import "testing"

func TestMachineTimes(t *testing.T) {
	// user nice system idle iowait irq softirq steal guest guest_nice
	t0, err := parseMachineTimes([]byte("cpu  100 5 40 800 20 3 7 25 0 0\ncpu0 50 2 20 400 10 1 3 12 0 0\nintr 1 2 3\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (machineTimes{busy: 155, idle: 820, steal: 25}); t0 != want {
		t.Fatalf("parsed %+v, want %+v", t0, want)
	}
	t1, err := parseMachineTimes([]byte("cpu  160 5 60 820 20 4 10 125 9 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	// busy +84, idle +20, steal +100: 204 ticks in all.
	busy, idle, steal := t1.shares(t0)
	if !near(busy, 84.0/204) || !near(idle, 20.0/204) || !near(steal, 100.0/204) {
		t.Errorf("shares %v %v %v, want %v %v %v", busy, idle, steal, 84.0/204, 20.0/204, 100.0/204)
	}
	if b, i, s := t0.shares(t0); b != 0 || i != 0 || s != 0 {
		t.Errorf("no time passed: %v %v %v, want zeros", b, i, s)
	}
	for _, bad := range []string{"", "intr 1 2\n", "cpu 1 2 3\n", "cpu 1 2 3 x 5 6 7 8\n"} {
		if _, err := parseMachineTimes([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
