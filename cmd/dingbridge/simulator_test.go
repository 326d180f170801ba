package main

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
	"github.com/dingbridge/dingbridge/internal/syncbuf"
)

// startSimulator runs "dingbridge simulator" with args and returns its base
// URL and a stop function returning the exit code and stdout.
func startSimulator(t *testing.T, args ...string) (string, func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	addrs := make(chan net.Addr, 1)
	var stdout, stderr syncbuf.Buffer
	a := &app{stdout: &stdout, stderr: &stderr, getenv: envMap(nil), onListen: func(addr net.Addr) { addrs <- addr }}
	done := make(chan int, 1)
	go func() { done <- a.run(ctx, append([]string{"simulator", "--listen", "127.0.0.1:0"}, args...)) }()
	wait := sync.OnceValue(func() int { return <-done })
	stop := func() (int, string) { cancel(); return wait(), stdout.String() }
	select {
	case addr := <-addrs:
		t.Cleanup(func() { stop() })
		return "http://" + addr.String(), stop
	case code := <-done:
		cancel()
		t.Fatalf("simulator exited with %d:\n%s", code, stderr.String())
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("simulator did not start listening")
	}
	return "", nil
}

func TestSimulatorDemo(t *testing.T) {
	base, stop := startSimulator(t)
	code, body, _ := get(t, base+"/__sim/directory")
	if code != 200 {
		t.Fatalf("/__sim/directory = %d %s", code, body)
	}
	var dir dingtalktest.Directory
	if err := json.Unmarshal([]byte(body), &dir); err != nil {
		t.Fatal(err)
	}
	demo := dingtalktest.DemoDirectory()
	if len(dir.Corps) != len(demo.Corps) || dir.Corps[0].CorpID != demo.Corps[0].CorpID {
		t.Errorf("simulator does not serve the demo directory: %+v", dir.Corps)
	}
	exit, out := stop()
	if exit != exitOK {
		t.Fatalf("simulator exit %d", exit)
	}
	for _, want := range []string{base, demo.Corps[0].CorpID, demo.Apps[0].AppKey, demo.Apps[0].AppSecret, demo.Users[0].UserID} {
		if !strings.Contains(out, want) {
			t.Errorf("simulator output lacks %q:\n%s", want, out)
		}
	}
}

func TestSimulatorDirectoryFile(t *testing.T) {
	const file = "../../dingtalk/dingtalktest/testdata/directory.yaml"
	want, err := dingtalktest.LoadDirectory(file)
	if err != nil {
		t.Fatal(err)
	}
	_, stop := startSimulator(t, "--directory", file)
	if _, out := stop(); !strings.Contains(out, want.Corps[0].CorpID) {
		t.Errorf("simulator output lacks the file's corp %s:\n%s", want.Corps[0].CorpID, out)
	}

	bad := writeFile(t, t.TempDir(), "bad.yaml", "corps: [{corp_id: ''}]\n")
	if r := runCLI(t, nil, "simulator", "--directory", bad); r.code != exitUsage || !strings.Contains(r.stderr, "--directory") {
		t.Errorf("invalid directory: exit %d stderr %s", r.code, r.stderr)
	}
}
