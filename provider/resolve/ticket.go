package resolve

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dingbridge/dingbridge/storage"
)

// SuiteTicketTTL is how long a pushed suite ticket is kept. DingTalk pushes
// a new one about every 5 hours; an older ticket stops working once a newer
// one is in use, so the newest push always replaces the stored one.
const SuiteTicketTTL = 7 * 24 * time.Hour

// suiteTicketKey is the cache-table key of a suite's newest ticket.
func suiteTicketKey(suiteKey string) string { return "suite_ticket:" + suiteKey }

// SetSuiteTicket stores the newest suite ticket DingTalk pushed for
// suiteKey, in the storage cache table, so every replica uses it for the
// next suite and corp token fetch. An unknown suite is ErrUnknownSuite; an
// empty ticket is refused.
func (r *Resolver) SetSuiteTicket(ctx context.Context, suiteKey, ticket string) error {
	if _, ok := r.suites[suiteKey]; !ok {
		return fmt.Errorf("set suite ticket: %w", ErrUnknownSuite)
	}
	if ticket == "" {
		return errors.New("set suite ticket: empty ticket")
	}
	err := r.store.PutCache(ctx, storage.CacheEntry{
		Key: suiteTicketKey(suiteKey), Value: []byte(ticket), ExpiresAt: r.now().Add(SuiteTicketTTL),
	})
	if err != nil {
		return fmt.Errorf("set suite ticket: %w", err)
	}
	return nil
}
