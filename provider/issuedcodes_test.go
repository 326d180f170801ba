package provider

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

func TestIssuedCodes(t *testing.T) {
	now := time.Now()
	var c issuedCodes
	r := storage.AuthRequest{ID: "r1", CodeHash: []byte("h1"), CodeExpiresAt: now.Add(time.Minute)}
	c.put(r, now)
	if _, ok := c.take([]byte("other"), now); ok {
		t.Error("take of an unknown digest found a request")
	}
	if got, ok := c.take([]byte("h1"), now); !ok || got.ID != "r1" {
		t.Fatalf("take = %+v, %v; want r1", got, ok)
	}
	if _, ok := c.take([]byte("h1"), now); ok {
		t.Error("a code was taken twice from memory")
	}
	c.put(r, now)
	if _, ok := c.take([]byte("h1"), now.Add(time.Minute)); ok {
		t.Error("an expired code was taken")
	}

	// Full: expired entries make room, live ones are not displaced.
	for i := range maxIssuedCodes {
		exp := now.Add(time.Minute)
		if i%2 == 0 {
			exp = now.Add(time.Second)
		}
		c.put(storage.AuthRequest{ID: fmt.Sprint(i), CodeHash: fmt.Append(nil, i), CodeExpiresAt: exp}, now)
	}
	later := now.Add(2 * time.Second)
	c.put(storage.AuthRequest{ID: "new", CodeHash: []byte("new"), CodeExpiresAt: later.Add(time.Minute)}, later)
	if _, ok := c.take([]byte("new"), later); !ok {
		t.Error("a full set did not make room by dropping expired codes")
	}
	if _, ok := c.take(fmt.Append(nil, 1), later); !ok {
		t.Error("a live code was dropped")
	}
	for i := range maxIssuedCodes {
		c.put(storage.AuthRequest{ID: "live", CodeHash: fmt.Appendf(nil, "live-%d", i), CodeExpiresAt: later.Add(time.Minute)}, later)
	}
	if len(c.m) > maxIssuedCodes {
		t.Errorf("%d codes kept, bound %d", len(c.m), maxIssuedCodes)
	}
}

// TestCodeExchangeFromMemory checks that the token endpoint takes the
// request of a code this process issued from memory, and that storage
// still decides single use: a code whose request storage no longer holds
// is refused, and a replay reads storage and is refused.
func TestCodeExchangeFromMemory(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b.open(t))
			c := e.addClient("web", nil)

			code, v := e.codeFor(t, c)
			e.store.resetReads()
			if status, body := e.exchange(t, c, true, code, v); status != http.StatusOK {
				t.Fatalf("exchange: %d %v", status, body)
			}
			if reads := e.store.resetReads(); slices.Contains(reads, "GetAuthRequestByCode") {
				t.Errorf("reads = %v, want the code's request from memory", reads)
			}
			status, body := e.exchange(t, c, true, code, v)
			wantOAuthError(t, "replay", status, body, http.StatusBadRequest, "invalid_grant")
			if reads := e.store.resetReads(); !slices.Contains(reads, "GetAuthRequestByCode") {
				t.Errorf("replay reads = %v, want storage asked", reads)
			}

			code, v = e.codeFor(t, c)
			r, ok := e.p.codes.take(digest(code), e.p.now())
			if !ok {
				t.Fatal("issued code not kept in memory")
			}
			e.p.codes.put(r, e.p.now())
			if err := e.store.DeleteAuthRequest(t.Context(), r.ID); err != nil {
				t.Fatal(err)
			}
			status, body = e.exchange(t, c, true, code, v)
			wantOAuthError(t, "code whose request storage deleted", status, body, http.StatusBadRequest, "invalid_grant")
		})
	}
}
