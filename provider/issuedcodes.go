package provider

import (
	"sync"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

// maxIssuedCodes bounds issuedCodes. A code is normally redeemed within
// milliseconds of its issue, so the set holds a handful; codes that are
// never redeemed stay until they expire, and past the bound new codes are
// not kept (their token requests read storage).
const maxIssuedCodes = 1024

// issuedCodes keeps the completed request of each code this process
// issued until the code is presented or expires, so that the token
// endpoint does not read back from storage what the login has just written
// there. It only saves that read: the redemption in storage
// (storage.RedeemAuthCode, UPDATE … RETURNING) still decides that a code
// is used once, and a code issued by another replica, or presented a
// second time, is looked up in storage.
type issuedCodes struct {
	mu sync.Mutex
	m  map[string]storage.AuthRequest // by code digest
}

// put keeps r, a request completed with a code (CodeHash set).
func (c *issuedCodes) put(r storage.AuthRequest, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]storage.AuthRequest)
	}
	if len(c.m) >= maxIssuedCodes {
		for k, e := range c.m {
			if !now.Before(e.CodeExpiresAt) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxIssuedCodes {
			return
		}
	}
	c.m[string(r.CodeHash)] = r
}

// take returns and forgets the request of the code digest codeHash if
// this process issued it and it has not expired at now.
func (c *issuedCodes) take(codeHash []byte, now time.Time) (storage.AuthRequest, bool) {
	c.mu.Lock()
	r, ok := c.m[string(codeHash)]
	if ok {
		delete(c.m, string(codeHash))
	}
	c.mu.Unlock()
	if !ok || !now.Before(r.CodeExpiresAt) {
		return storage.AuthRequest{}, false
	}
	return r, true
}
