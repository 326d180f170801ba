package main

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// Modes: what one unit of work is.
const (
	modeFlow              = "flow"               // a complete browser login, token, userinfo
	modeRefresh           = "refresh"            // one refresh-token rotation
	modeClientCredentials = "client-credentials" // one client_credentials grant
	modeIntrospect        = "introspect"         // one introspection of an access token
)

// load runs virtual users. Each unit of work is recorded in the window that
// was open when it started, if that window is still open when it ends;
// units straddling a window boundary are dropped, so every figure belongs
// to exactly one window.
type load struct {
	cl   *client
	mode string
	vus  int

	// window is the open window's number (1, 2, …), 0 between windows.
	window atomic.Int64
	// done counts units recorded in the open window.
	done atomic.Int64

	// mu guards recs.
	mu   sync.Mutex
	recs map[int64]*recorder // by window
}

func newLoad(cl *client, mode string, vus int) *load {
	return &load{cl: cl, mode: mode, vus: vus, recs: map[int64]*recorder{}}
}

// open starts window w.
func (l *load) open(w int64) {
	l.done.Store(0)
	l.window.Store(w)
}

// close ends the open window and returns what it recorded.
func (l *load) close() *recorder {
	w := l.window.Swap(0)
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.recs[w]
	if r == nil {
		r = newRecorder()
	}
	delete(l.recs, w)
	return r
}

func (l *load) commit(w int64, local *recorder) {
	if w == 0 || l.window.Load() != w {
		return
	}
	l.mu.Lock()
	r := l.recs[w]
	if r == nil {
		r = newRecorder()
		l.recs[w] = r
	}
	r.merge(local)
	l.mu.Unlock()
	if len(local.errors) == 0 {
		l.done.Add(1)
	}
}

// run drives the virtual users until ctx ends.
func (l *load) run(ctx context.Context) {
	var wg sync.WaitGroup
	for i := range l.vus {
		wg.Go(func() { l.user(ctx, i) })
	}
	wg.Wait()
}

// user is one virtual user's loop, with its own connections.
func (l *load) user(ctx context.Context, i int) {
	rt := newUserTransport()
	defer rt.CloseIdleConnections()
	var (
		refresh, access string
		plain           = &http.Client{Transport: rt, Timeout: l.cl.timeoutAfter}
		person          = i
	)
	for ctx.Err() == nil {
		w := l.window.Load()
		local := newRecorder()
		start := time.Now()
		var err error
		switch {
		case l.mode == modeFlow:
			_, err = l.cl.login(ctx, rt, person, local)
			person += l.vus
		case (l.mode == modeRefresh && refresh == "") || (l.mode == modeIntrospect && access == ""):
			// Setup login: not measured.
			var t tokens
			if t, err = l.cl.login(ctx, rt, person, newRecorder()); err == nil {
				refresh, access = t.RefreshToken, t.AccessToken
				continue
			}
		case l.mode == modeRefresh:
			var t tokens
			t, err = l.cl.token(ctx, plain, "refresh", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})
			if err == nil {
				refresh = t.RefreshToken
				local.add("refresh", time.Since(start))
			} else {
				refresh = ""
			}
		case l.mode == modeClientCredentials:
			_, err = l.cl.token(ctx, plain, "token", url.Values{"grant_type": {"client_credentials"}})
			if err == nil {
				local.add("token", time.Since(start))
			}
		case l.mode == modeIntrospect:
			if err = l.cl.introspect(ctx, plain, access); err == nil {
				local.add("introspect", time.Since(start))
			} else {
				access = ""
			}
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			local.fail(errorKind(err))
		} else if l.mode != modeFlow {
			local.add("flow", time.Since(start))
		}
		l.commit(w, local)
	}
}
