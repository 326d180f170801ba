package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
)

// Paths the bench adds to the simulator it runs as its own process.
const (
	simCallsPath = "/__bench/calls" // GET: DingTalk API calls by endpoint; POST: reset them
)

// apiEndpoints are the simulator's DingTalk Open API endpoints: what a login
// costs in calls to DingTalk. Browser pages (E1, E10, E11) and the JSAPI shim
// are not API calls and are left out.
var apiEndpoints = []dingtalktest.Endpoint{
	dingtalktest.EndpointUserAccessToken, dingtalktest.EndpointContactUser, dingtalktest.EndpointGetToken,
	dingtalktest.EndpointAccessToken, dingtalktest.EndpointCorpToken, dingtalktest.EndpointGetUserInfo,
	dingtalktest.EndpointUserGet, dingtalktest.EndpointGetByUnionID, dingtalktest.EndpointSNSUserInfo,
	dingtalktest.EndpointSSOGetToken, dingtalktest.EndpointSSOAccessToken, dingtalktest.EndpointSSOGetUserInfo,
	dingtalktest.EndpointSSOUserInfo, dingtalktest.EndpointGetSuiteToken, dingtalktest.EndpointSuiteAccessToken,
	dingtalktest.EndpointGetCorpToken, dingtalktest.EndpointCorpAccessToken, dingtalktest.EndpointAuthInfo,
	dingtalktest.EndpointDepartmentGet, dingtalktest.EndpointListParentByUser,
	dingtalktest.EndpointListParentByDept, dingtalktest.EndpointListSub, dingtalktest.EndpointListSubID,
}

// benchUserID is the DingTalk userId of the bench's i-th person.
func benchUserID(i int) string { return fmt.Sprintf("bench%05d", i) }

// benchDirectory is the simulator's demo directory plus n people in the
// first demo corp, each in the departments of the corp's first demo member,
// so that every virtual user logs in as someone else.
func benchDirectory(n int) dingtalktest.Directory {
	dir := dingtalktest.DemoDirectory()
	var tmpl dingtalktest.User
	for _, u := range dir.Users {
		if u.CorpID == dingtalktest.DemoCorpID && !u.Inactive {
			tmpl = u
			break
		}
	}
	for i := range n {
		u := tmpl
		u.UserID = benchUserID(i)
		u.UnionID = fmt.Sprintf("benchUnion%05dAbCdEfGhIjKlMn", i)
		u.Name = fmt.Sprintf("Bench User %d", i)
		u.Nick = u.Name
		u.Mobile = fmt.Sprintf("139%08d", i)
		u.Email = fmt.Sprintf("bench%d@example.com", i)
		u.OrgEmail = fmt.Sprintf("bench%d@corp.example.com", i)
		u.JobNumber = fmt.Sprintf("B%05d", i)
		u.Password = ""
		u.Admin, u.Boss, u.SysLevel = false, false, 0
		dir.Users = append(dir.Users, u)
	}
	return dir
}

// simMain runs the DingTalk simulator as the bench's child process:
// "dingbridge-bench sim --listen ADDR --users N". It prints "listening
// URL" once it serves and stops when stdin closes (the parent exited) or
// on a signal.
func simMain(ctx context.Context, args []string, stdout, stderr io.Writer, stdin io.Reader) error {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "listen `address` (loopback)")
	users := fs.Int("users", 100, "bench people added to the demo corp")
	profile := fs.Bool("pprof", false, "serve Go's profiles under /debug/pprof/")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := requireLoopback(*listen); err != nil {
		return err
	}
	sim := dingtalktest.NewSimulator(benchDirectory(*users))
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+simCallsPath, func(w http.ResponseWriter, r *http.Request) {
		calls := make(map[string]int, len(apiEndpoints))
		for _, ep := range apiEndpoints {
			if n := sim.Calls(ep); n > 0 {
				calls[string(ep)] = n
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(calls)
	})
	mux.HandleFunc("POST "+simCallsPath, func(w http.ResponseWriter, r *http.Request) {
		sim.ResetCalls()
		w.WriteHeader(http.StatusNoContent)
	})
	if *profile {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	}
	mux.Handle("/", sim)

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "listening http://%s\n", ln.Addr())

	parentGone := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, stdin)
		close(parentGone)
	}()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	case <-parentGone:
	}
	shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// requireLoopback refuses a listen or target address that is not loopback:
// the bench never generates load towards another machine.
func requireLoopback(hostport string) error {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return fmt.Errorf("address %q: %w", hostport, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("address %q is not loopback", hostport)
	}
	return nil
}
