package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// countingServer is a loopback server that counts the connections it
// accepted.
func countingServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func get(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("GET %s: body: %v", u, err)
	}
	return string(b)
}

func TestUserTransportKeepsOneConnection(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/chunked" {
			// No Content-Length: a chunked answer.
			w.Write([]byte("chunk-"))
			w.(http.Flusher).Flush()
		}
		w.Write([]byte(r.Method + " " + r.URL.Path + " " + string(body)))
	})
	rt := newUserTransport()
	defer rt.CloseIdleConnections()
	c := &http.Client{Transport: rt, Timeout: 5 * time.Second}
	for i := range 5 {
		if got := get(t, c, srv.URL+"/a"); got != "GET /a " {
			t.Fatalf("request %d answered %q", i, got)
		}
	}
	if got := get(t, c, srv.URL+"/chunked"); got != "chunk-GET /chunked " {
		t.Fatalf("chunked answer %q", got)
	}
	resp, err := c.Post(srv.URL+"/p", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "POST /p hello" {
		t.Fatalf("POST answered %q", b)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 7 sequential requests, want 1", n)
	}
}

func TestUserTransportUnreadBodyClosesConnection(t *testing.T) {
	big := strings.Repeat("x", 64<<10)
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			io.WriteString(w, big)
			return
		}
		io.WriteString(w, "ok")
	})
	rt := newUserTransport()
	defer rt.CloseIdleConnections()
	c := &http.Client{Transport: rt, Timeout: 5 * time.Second}
	resp, err := c.Get(srv.URL + "/big")
	if err != nil {
		t.Fatal(err)
	}
	// A request while the body is open is refused.
	if _, err := c.Get(srv.URL + "/small"); !errors.Is(err, errTransportBusy) {
		t.Fatalf("request with a body open: %v, want errTransportBusy", err)
	}
	resp.Body.Close() // 64 KiB left: the connection is not worth reading to its end
	if got := get(t, c, srv.URL+"/small"); got != "ok" {
		t.Fatalf("answered %q", got)
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2 (the unread one closed)", n)
	}
}

func TestUserTransportRetriesGETOnClosedIdleConnection(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Method)
	})
	rt := newUserTransport()
	defer rt.CloseIdleConnections()
	c := &http.Client{Transport: rt, Timeout: 5 * time.Second}
	get(t, c, srv.URL)
	// The server drops its idle connections, as at its idle timeout.
	srv.CloseClientConnections()
	time.Sleep(50 * time.Millisecond)
	if got := get(t, c, srv.URL); got != "GET" {
		t.Fatalf("answered %q", got)
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}

	// A POST is not sent twice.
	srv.CloseClientConnections()
	time.Sleep(50 * time.Millisecond)
	_, err := c.Post(srv.URL, "text/plain", strings.NewReader("once"))
	if !errors.Is(err, errConnClosedBeforeAnswer) {
		t.Fatalf("POST on a closed connection: %v, want errConnClosedBeforeAnswer", err)
	}
	if got := get(t, c, srv.URL); got != "GET" {
		t.Fatalf("after the failed POST: %q", got)
	}
}

func TestUserTransportTimeout(t *testing.T) {
	release := make(chan struct{})
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	rt := newUserTransport()
	defer rt.CloseIdleConnections()
	c := &http.Client{Transport: rt, Timeout: 100 * time.Millisecond}
	start := time.Now()
	_, err := c.Get(srv.URL)
	if err == nil {
		t.Fatal("no error from a server that does not answer")
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("error %v is not a timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}

	// A cancelled context ends the request too.
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := (&http.Client{Transport: rt}).Do(req); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled request: %v, want context.Canceled", err)
	}
}

// A read cut by the request's deadline is a timeout even when the context
// has already ended by the time the transport looks: http.Client's own timer
// may not have fired yet, and then only the error says so.
func TestContextErrDeadlineIsTimeout(t *testing.T) {
	ctx, cancel := context.WithDeadline(context.Background(), time.Unix(1, 0))
	defer cancel()
	<-ctx.Done()
	readErr := &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
	err := error(&url.Error{Op: "Get", URL: "http://127.0.0.1:1", Err: contextErr(ctx, readErr)})
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("%v is not a timeout", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("%v does not wrap both causes", err)
	}
	if k := errorKind(err); k != "timeout" {
		t.Errorf("reported as %q, want timeout", k)
	}

	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	err = &url.Error{Op: "Get", URL: "http://127.0.0.1:1", Err: contextErr(ctx, readErr)}
	if errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("cancelled: %v is a timeout", err)
	}
	if k := errorKind(err); k != "cancelled" {
		t.Errorf("cancelled: reported as %q", k)
	}
}

func TestUserTransportRefusesHTTPS(t *testing.T) {
	rt := newUserTransport()
	req, _ := http.NewRequest(http.MethodGet, "https://127.0.0.1:1/", nil)
	if _, err := rt.RoundTrip(req); err == nil || !strings.Contains(err.Error(), "scheme") {
		t.Errorf("https: %v, want a scheme error", err)
	}
}
