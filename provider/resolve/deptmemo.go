package resolve

import (
	"sync"
	"time"
)

// deptMemoMax bounds the departments a Resolver keeps in memory. A corp
// directory rarely has more; when it is reached the expired entries go, and
// if none had expired, all of them.
const deptMemoMax = 8192

// deptMemo keeps department names and parents in process memory in front of
// the cache table, each until the expiry of the row it came from, so a warm
// login reads no row. Safe for concurrent use.
type deptMemo struct {
	mu sync.Mutex
	m  map[string]deptMemoEntry
}

type deptMemoEntry struct {
	info      deptInfo
	expiresAt time.Time
}

// get returns the department kept under key if it has not expired at now.
func (m *deptMemo) get(key string, now time.Time) (deptInfo, bool) {
	m.mu.Lock()
	e, ok := m.m[key]
	m.mu.Unlock()
	if !ok || !now.Before(e.expiresAt) {
		return deptInfo{}, false
	}
	return e.info, true
}

// put keeps di under key until expiresAt.
func (m *deptMemo) put(key string, di deptInfo, expiresAt, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = make(map[string]deptMemoEntry)
	}
	if _, ok := m.m[key]; !ok && len(m.m) >= deptMemoMax {
		for k, e := range m.m {
			if !now.Before(e.expiresAt) {
				delete(m.m, k)
			}
		}
		if len(m.m) >= deptMemoMax {
			clear(m.m)
		}
	}
	m.m[key] = deptMemoEntry{info: di, expiresAt: expiresAt}
}
