package resolve

import "sync"

// memberMemoMax bounds the people a Resolver remembers; when it is reached
// all of them are forgotten.
const memberMemoMax = 10000

// memberMemo remembers, in process memory, the userid E9 gave for a unionid
// in a corp, once E8 confirmed it. A returning member's QR or SNS login then
// reads E8 with that userid and skips E9. An entry is only a hint: it is
// used when E8 still answers with the same unionid, and forgotten otherwise.
// Safe for concurrent use.
type memberMemo struct {
	mu sync.Mutex
	m  map[memberKey]string
}

type memberKey struct{ corpID, unionID string }

// get returns the userid remembered for unionID in corpID.
func (m *memberMemo) get(corpID, unionID string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	userID, ok := m.m[memberKey{corpID, unionID}]
	return userID, ok
}

// put remembers userID for unionID in corpID.
func (m *memberMemo) put(corpID, unionID, userID string) {
	k := memberKey{corpID, unionID}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = make(map[memberKey]string)
	}
	if _, ok := m.m[k]; !ok && len(m.m) >= memberMemoMax {
		clear(m.m)
	}
	m.m[k] = userID
}

// forget drops what is remembered for unionID in corpID, if it is still
// userID (a concurrent login may have remembered a newer one).
func (m *memberMemo) forget(corpID, unionID, userID string) {
	k := memberKey{corpID, unionID}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m[k] == userID {
		delete(m.m, k)
	}
}
