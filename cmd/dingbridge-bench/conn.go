package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"
)

// userTransport is one virtual user's HTTP/1.1 transport: it sends one
// request at a time, in the calling goroutine, over a kept-alive connection
// per host, as a browser tab does. net/http's Transport hands every request
// to a writing and a reading goroutine of the connection; on two cores
// shared with the servers under test those wake-ups were a fifth of the
// generator's CPU, and the generator's CPU is taken from the servers.
//
// Only plain http to loopback hosts is spoken (the bench refuses anything
// else before it gets here); responses are not decompressed (no
// Accept-Encoding is sent); a body must be read to its end for its
// connection to be kept, as with net/http.
type userTransport struct {
	dialer net.Dialer
	idle   map[string]*userConn // by host:port
	// busy is set while a response body is open: the user sends one
	// request at a time.
	busy bool
}

type userConn struct {
	c  net.Conn
	br *bufio.Reader
	bw *bufio.Writer
	// used is set once a request was answered on it: a reused connection
	// the server closed meanwhile may be retried.
	used bool
}

func newUserTransport() *userTransport {
	return &userTransport{dialer: net.Dialer{Timeout: 10 * time.Second}, idle: map[string]*userConn{}}
}

// errTransportBusy means a request was sent before the previous response's
// body was closed.
var errTransportBusy = errors.New("bench transport: previous response body still open")

// RoundTrip implements http.RoundTripper.
func (t *userTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "http" {
		closeRequestBody(req)
		return nil, fmt.Errorf("bench transport: scheme %q, want http", req.URL.Scheme)
	}
	if t.busy {
		closeRequestBody(req)
		return nil, errTransportBusy
	}
	host := req.URL.Host
	if req.URL.Port() == "" {
		host = net.JoinHostPort(req.URL.Hostname(), "80")
	}
	for {
		pc := t.idle[host]
		delete(t.idle, host)
		if pc == nil {
			c, err := t.dialer.DialContext(req.Context(), "tcp", host)
			if err != nil {
				closeRequestBody(req)
				return nil, err
			}
			pc = &userConn{c: c, br: bufio.NewReaderSize(c, 8<<10), bw: bufio.NewWriterSize(c, 4<<10)}
		}
		resp, err := t.exchange(pc, host, req)
		if err == nil {
			return resp, nil
		}
		pc.c.Close()
		// A kept-alive connection the server closed while it was idle: the
		// request did not reach the server, send it again on a new one, as
		// net/http does for requests it may replay.
		if !pc.used || !errors.Is(err, errConnClosedBeforeAnswer) || !replayable(req) {
			closeRequestBody(req)
			return nil, err
		}
		if req.GetBody != nil {
			body, gerr := req.GetBody()
			if gerr != nil {
				return nil, gerr
			}
			req = req.Clone(req.Context())
			req.Body = body
		}
	}
}

// errConnClosedBeforeAnswer is a connection that ended before the first
// byte of the answer.
var errConnClosedBeforeAnswer = errors.New("bench transport: connection closed before the answer")

// exchange writes req on pc and reads the answer's head.
func (t *userTransport) exchange(pc *userConn, host string, req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if d, ok := ctx.Deadline(); ok {
		_ = pc.c.SetDeadline(d)
	} else {
		_ = pc.c.SetDeadline(time.Time{})
	}
	// A cancelled request unblocks its reads and writes.
	stop := context.AfterFunc(ctx, func() { _ = pc.c.SetDeadline(time.Unix(1, 0)) })
	if err := req.Write(pc.bw); err != nil {
		stop()
		return nil, contextErr(ctx, err)
	}
	if err := pc.bw.Flush(); err != nil {
		stop()
		return nil, contextErr(ctx, err)
	}
	if _, err := pc.br.Peek(1); err != nil {
		stop()
		if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) {
			return nil, errConnClosedBeforeAnswer
		}
		return nil, contextErr(ctx, err)
	}
	resp, err := http.ReadResponse(pc.br, req)
	if err != nil {
		stop()
		return nil, contextErr(ctx, err)
	}
	keep := !resp.Close && !req.Close
	t.busy = true
	resp.Body = &userBody{rc: resp.Body, done: func(eof bool) {
		t.busy = false
		if stop() && eof && keep && ctx.Err() == nil {
			pc.used = true
			t.idle[host] = pc
			return
		}
		pc.c.Close()
	}}
	return resp, nil
}

// CloseIdleConnections closes the user's kept-alive connections.
func (t *userTransport) CloseIdleConnections() {
	for host, pc := range t.idle {
		pc.c.Close()
		delete(t.idle, host)
	}
}

// userBody is a response body that gives its connection back when it is
// read to the end, and closes it when it is closed before. The end is acted
// on as it is read: http.Client cancels the request's context when it sees
// it, which must not close a connection that is already given back.
type userBody struct {
	rc       io.ReadCloser
	finished bool
	done     func(eof bool)
}

func (b *userBody) Read(p []byte) (int, error) {
	if b.finished {
		return 0, io.EOF
	}
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.finish(true)
	}
	return n, err
}

func (b *userBody) Close() error {
	if b.finished {
		return nil
	}
	// A few bytes left (a decoder that stopped at the end of its value):
	// read them so that the connection can be kept.
	n, err := io.Copy(io.Discard, io.LimitReader(b.rc, 4<<10))
	b.finish(err == nil && n < 4<<10)
	return nil
}

func (b *userBody) finish(eof bool) {
	b.finished = true
	b.done(eof) // first: rc.Close would read the rest of an unfinished body
	_ = b.rc.Close()
}

// replayable is whether req may be sent again after its connection was
// found closed: no body, or a body it can produce again, and a method
// without side effects (POST is sent once, as net/http does).
func replayable(req *http.Request) bool {
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions:
		return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	}
	return false
}

func closeRequestBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// contextErr prefers the request's context error to the deadline error
// it caused.
func contextErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return &requestEnded{ctx: cerr, err: err}
	}
	return err
}

// requestEnded is an exchange cut short by its request's context. It is a
// timeout when the context's deadline passed: http.Client reports a timeout
// through the error's Timeout method, and its own timer, which would tell
// it otherwise, may not have fired yet when the transport returns.
type requestEnded struct {
	ctx error // the context's error
	err error // the read or write error it caused
}

func (e *requestEnded) Error() string   { return e.ctx.Error() + " (" + e.err.Error() + ")" }
func (e *requestEnded) Unwrap() []error { return []error{e.ctx, e.err} }
func (e *requestEnded) Timeout() bool   { return errors.Is(e.ctx, context.DeadlineExceeded) }
func (e *requestEnded) Temporary() bool { return false }
