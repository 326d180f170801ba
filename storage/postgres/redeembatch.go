package postgres

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dingbridge/dingbridge/storage"
)

// Code redemptions that arrive together commit together.
//
// A redemption is the one write of a login that waits for its WAL flush,
// and on a busy server its fixed cost (a statement, a commit, a flush) is
// most of what it costs PostgreSQL. So RedeemAuthCode sends its statement
// at once only while no other redemption of the same statement form
// (issueStatement) is running; a redemption that arrives meanwhile
// queues, and when the running statement ends, every queued redemption
// of the form is sent as one statement (redeemBatchQuery): one row of
// input each, one transaction, one flush. A server with one login at a
// time never queues.
//
// Each row is judged alone inside the statement, as the single-row
// statement judges it: its code is spent and its tokens are stored only
// if its own UPDATE matched, so an unknown, spent or expired code, or a
// client that is gone, fails only its own caller. Two rows with the same
// code update the request once, and only one of them is returned. If the
// statement fails as a whole, each of its redemptions is sent again on
// its own, so that one bad row cannot fail the others. A caller returns
// only after the transaction that holds its redemption has committed,
// or when its context ends; the statement runs until it ends or until
// every caller it serves has given up.

// redemptionQueue coalesces the redemptions of one statement form.
type redemptionQueue struct {
	form    int
	mu      sync.Mutex
	running bool
	queued  []*redemption
}

// redemptionQueues holds a queue for each form of issueStatement.
type redemptionQueues struct {
	forms [len(issueStatement{})]redemptionQueue
	// beforeOne, when set (by tests), runs before a redemption that
	// found its queue idle is sent.
	beforeOne func()
	// batches counts the statements of several redemptions that
	// succeeded.
	batches atomic.Int64
}

func newRedemptionQueues() *redemptionQueues {
	var q redemptionQueues
	for i := range q.forms {
		q.forms[i].form = i
	}
	return &q
}

// redemption is one queued RedeemAuthCode call and where its result goes.
type redemption struct {
	ctx      context.Context
	codeHash []byte
	now      time.Time
	issue    storage.TokenIssue
	done     chan error // buffered: the runner never waits for the caller
}

// redeem runs the redemption now when no statement of its form is
// running, and otherwise queues it for the next one.
func (s *Store) redeem(ctx context.Context, codeHash []byte, now time.Time, issue storage.TokenIssue) error {
	q := &s.redemptions.forms[redeemQuery.index(issue)]
	q.mu.Lock()
	if !q.running {
		q.running = true
		q.mu.Unlock()
		defer func() {
			if next := q.next(); len(next) > 0 {
				go s.serveQueue(q, next)
			}
		}()
		if hold := s.redemptions.beforeOne; hold != nil {
			hold()
		}
		return s.redeemOne(ctx, codeHash, now, issue)
	}
	r := &redemption{ctx: ctx, codeHash: codeHash, now: now, issue: issue, done: make(chan error, 1)}
	q.queued = append(q.queued, r)
	q.mu.Unlock()
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		// The redemption may still commit; its tokens are then stored
		// and never sent, as when a caller leaves during its own
		// statement.
		return dbErr("redeem auth code", ctx.Err())
	}
}

// next takes the queued redemptions, or, when there are none, marks the
// queue idle.
func (q *redemptionQueue) next() []*redemption {
	q.mu.Lock()
	defer q.mu.Unlock()
	batch := q.queued
	q.queued = nil
	if len(batch) == 0 {
		q.running = false
	}
	return batch
}

// serveQueue sends batch as one statement, then whatever queued
// meanwhile, until the queue is empty.
func (s *Store) serveQueue(q *redemptionQueue, batch []*redemption) {
	for ; len(batch) > 0; batch = q.next() {
		live := batch[:0]
		for _, r := range batch {
			if err := r.ctx.Err(); err != nil {
				r.done <- dbErr("redeem auth code", err)
				continue
			}
			live = append(live, r)
		}
		switch len(live) {
		case 0:
		case 1:
			r := live[0]
			r.done <- s.redeemOne(r.ctx, r.codeHash, r.now, r.issue)
		default:
			s.redeemBatch(q.form, live)
		}
	}
}

// redeemBatch redeems batch in one statement and sends each caller its
// result; if the statement fails, it sends each redemption on its own.
func (s *Store) redeemBatch(form int, batch []*redemption) {
	redeemed, err := s.sendBatch(form, batch)
	if err != nil {
		for _, r := range batch {
			r.done <- s.redeemOne(r.ctx, r.codeHash, r.now, r.issue)
		}
		return
	}
	s.redemptions.batches.Add(1)
	for i, r := range batch {
		if redeemed[i] {
			r.done <- nil
		} else {
			r.done <- notFound("redeem auth code")
		}
	}
}

// sendBatch runs redeemBatchQuery for batch and reports which rows it
// redeemed. Its context ends when every caller's has.
func (s *Store) sendBatch(form int, batch []*redemption) ([]bool, error) {
	rows := make([]redemptionRow, len(batch))
	for i, r := range batch {
		rows[i] = newRedemptionRow(i, r)
	}
	input, err := json.Marshal(rows)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(batch[0].ctx))
	defer cancel()
	var waiting atomic.Int32
	waiting.Store(int32(len(batch)))
	for _, r := range batch {
		stop := context.AfterFunc(r.ctx, func() {
			if waiting.Add(-1) == 0 {
				cancel()
			}
		})
		defer stop()
	}
	res, _ := s.pool.Query(ctx, redeemBatchQuery[form], input)
	redeemed := make([]bool, len(batch))
	var i int
	_, err = pgx.ForEachRow(res, []any{&i}, func() error {
		if i >= 0 && i < len(redeemed) {
			redeemed[i] = true
		}
		return nil
	})
	return redeemed, err
}

// redemptionRow is one redemption as a row of redeemBatchQuery's input.
type redemptionRow struct {
	I        int       `json:"i"`
	CodeHash string    `json:"code_hash"`
	Now      *string   `json:"now"`
	Access   tokenRow  `json:"access"`
	Refresh  *tokenRow `json:"refresh,omitempty"`
}

// tokenRow is an access or refresh token's columns in redeemBatchQuery's
// input.
type tokenRow struct {
	ID        string   `json:"id"`
	TokenHash string   `json:"token_hash,omitempty"`
	FamilyID  string   `json:"family_id"`
	ClientID  string   `json:"client_id"`
	Subject   string   `json:"subject"`
	Audience  []string `json:"audience"`
	Scopes    []string `json:"scopes"`
	SessionID string   `json:"session_id"`
	AuthTime  *string  `json:"auth_time"`
	AMR       []string `json:"amr"`
	CreatedAt *string  `json:"created_at"`
	ExpiresAt *string  `json:"expires_at"`
	RotatedAt *string  `json:"rotated_at"`
	RevokedAt *string  `json:"revoked_at"`
}

func newRedemptionRow(i int, r *redemption) redemptionRow {
	a := r.issue.Access
	row := redemptionRow{I: i, CodeHash: hex.EncodeToString(r.codeHash), Now: jsonTime(r.now), Access: tokenRow{
		ID: a.ID, FamilyID: a.FamilyID, ClientID: a.ClientID, Subject: a.Subject,
		Audience: a.Audience, Scopes: a.Scopes, SessionID: a.SessionID, AuthTime: jsonTime(a.AuthTime),
		AMR: a.AMR, CreatedAt: jsonTime(a.CreatedAt), ExpiresAt: jsonTime(a.ExpiresAt),
	}}
	if t := r.issue.Refresh; t != nil {
		row.Refresh = &tokenRow{
			ID: t.ID, TokenHash: hex.EncodeToString(t.TokenHash), FamilyID: t.FamilyID, ClientID: t.ClientID,
			Subject: t.Subject, Audience: t.Audience, Scopes: t.Scopes, SessionID: t.SessionID,
			AuthTime: jsonTime(t.AuthTime), AMR: t.AMR, CreatedAt: jsonTime(t.CreatedAt),
			ExpiresAt: jsonTime(t.ExpiresAt), RotatedAt: jsonTimePtr(t.RotatedAt), RevokedAt: jsonTimePtr(t.RevokedAt),
		}
	}
	return row
}

// jsonTime is t as timestamptz input at the precision pgx sends
// (microseconds), or nil (NULL) for the zero time, as ts encodes it.
func jsonTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Truncate(time.Microsecond).Format("2006-01-02T15:04:05.999999Z07:00")
	return &s
}

// jsonTimePtr is jsonTime of an optional time, as tsPtr encodes it.
func jsonTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	return jsonTime(*t)
}

// redeemBatchQuery redeems the redemptions of its input ($1, a JSON array
// of redemptionRow) in one statement, in a form for each issueStatement
// form, and returns the index of each row whose code it spent.
//
// The request is found through a LATERAL index probe and updated by its
// ctid, so that the plan stays an index lookup per row whatever the
// table's statistics say; a hash join over the whole table is what a
// plain join would get on a new, empty table, and a prepared statement
// would keep that plan. If another transaction changes the request first,
// the re-check of the ctid after its commit fails and the row is not
// redeemed: the code was spent by the other, or its request deleted.
var redeemBatchQuery = func() (q [len(issueStatement{})]string) {
	const token = `id text, token_hash text, family_id text, client_id text, subject text,
		audience text[], scopes text[], session_id text, auth_time timestamptz, amr text[],
		created_at timestamptz, expires_at timestamptz, rotated_at timestamptz, revoked_at timestamptz`
	for form := range q {
		s := `WITH input AS (
		SELECT x.i, decode(x.code_hash, 'hex') AS code_hash, x.now, x.access, x.refresh
		FROM jsonb_to_recordset($1::jsonb) AS x(i int, code_hash text, now timestamptz,
			access jsonb, refresh jsonb)
	), redeemed AS (
		UPDATE auth_requests SET code_expires_at = NULL
		FROM input CROSS JOIN LATERAL (
			SELECT held.ctid FROM auth_requests held WHERE held.code_hash = input.code_hash LIMIT 1
		) found
		WHERE auth_requests.ctid = found.ctid AND done AND code_expires_at > input.now
			AND ` + clientExists + `auth_requests.client_id)
		RETURNING input.i, input.access, input.refresh
	), token AS (
		SELECT redeemed.i, a.* FROM redeemed, jsonb_to_record(redeemed.access) AS a(` + token + `)
	), access AS (
		INSERT INTO access_tokens (id, client_id, subject, audience, scopes, session_id, family_id,
			auth_time, amr, created_at, expires_at)
		SELECT id, client_id, subject, audience, scopes, session_id, family_id,
			auth_time, amr, created_at, expires_at
		FROM token
	)`
		if form&2 != 0 {
			s += `, link AS (
		INSERT INTO session_clients (session_id, client_id, subject, created_at)
		SELECT session_id, client_id, subject, created_at FROM token WHERE session_id <> ''
		ON CONFLICT (session_id, client_id) DO NOTHING
	)`
		}
		if form&1 != 0 {
			s += `, refresh AS (
		INSERT INTO refresh_tokens (id, token_hash, family_id, client_id, subject, audience, scopes,
			session_id, auth_time, amr, created_at, expires_at, rotated_at, revoked_at)
		SELECT r.id, decode(r.token_hash, 'hex'), r.family_id, r.client_id, r.subject, r.audience,
			r.scopes, r.session_id, r.auth_time, r.amr, r.created_at, r.expires_at, r.rotated_at,
			r.revoked_at
		FROM redeemed, jsonb_to_record(redeemed.refresh) AS r(` + token + `)
	)`
		}
		q[form] = s + `
	SELECT i FROM redeemed`
	}
	return q
}()
