package postgres

import (
	"context"
	"sync"
)

// CompleteLoginOnce exposes the one-statement path of CompleteLogin.
var CompleteLoginOnce = (*Store).completeLoginOnce

// SynchronousCommit reports the synchronous_commit setting a pooled
// connection has outside any transaction.
func SynchronousCommit(s *Store) (string, error) {
	var v string
	err := s.pool.QueryRow(context.Background(), "SHOW synchronous_commit").Scan(&v)
	return v, err
}

// Exec runs a statement on the store's pool, bypassing its methods, and
// returns the rows it affected.
func Exec(s *Store, sql string, args ...any) (int64, error) {
	tag, err := s.pool.Exec(context.Background(), sql, args...)
	return tag.RowsAffected(), err
}

// HoldRedemptions makes the next redemption of s that finds its queue
// idle wait, before it is sent, until release is called; held is closed
// once it waits. queued counts the redemptions queued meanwhile. Set it
// before the store is in use.
func HoldRedemptions(s *Store) (held <-chan struct{}, queued func() int, release func()) {
	h, r := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s.redemptions.beforeOne = func() {
		first := false
		once.Do(func() { first = true })
		if first {
			close(h)
			<-r
		}
	}
	queued = func() int {
		n := 0
		for i := range s.redemptions.forms {
			q := &s.redemptions.forms[i]
			q.mu.Lock()
			n += len(q.queued)
			q.mu.Unlock()
		}
		return n
	}
	var releaseOnce sync.Once
	return h, queued, func() { releaseOnce.Do(func() { close(r) }) }
}

// RedemptionBatches counts the statements of several redemptions s has
// sent successfully.
func RedemptionBatches(s *Store) int64 { return s.redemptions.batches.Load() }
