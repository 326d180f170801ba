package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/dingbridge/dingbridge/storage"
)

// querier is what pool and transaction have in common for reads.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// userColumns is the column list userScan receives, in order.
const userColumns = `subject, profile, created_at, updated_at`

// userScan receives the columns of userColumns.
type userScan struct {
	u                    storage.User
	createdAt, updatedAt pgtype.Timestamptz
}

func (s *userScan) dests() []any {
	return []any{&s.u.Subject, &s.u.Profile, &s.createdAt, &s.updatedAt}
}

func (s *userScan) value() storage.User {
	u := s.u
	u.CreatedAt, u.UpdatedAt = utc(s.createdAt), utc(s.updatedAt)
	return u
}

func scanUser(row pgx.CollectableRow) (storage.User, error) {
	var s userScan
	err := row.Scan(s.dests()...)
	return s.value(), err
}

// CreateUser stores a new user; ErrAlreadyExists if the subject is taken.
func (s *Store) CreateUser(ctx context.Context, u storage.User) error {
	const q = `INSERT INTO users (subject, profile, created_at, updated_at) VALUES ($1, $2, $3, $4)`
	if _, err := s.pool.Exec(ctx, q, u.Subject, u.Profile, ts(u.CreatedAt), ts(u.UpdatedAt)); err != nil {
		return dbErr("create user", err)
	}
	return nil
}

// GetUser loads a user by subject.
func (s *Store) GetUser(ctx context.Context, subject string) (storage.User, error) {
	u, err := getUser(ctx, s.pool, subject)
	if err != nil {
		return storage.User{}, dbErr("get user", err)
	}
	return u, nil
}

func getUser(ctx context.Context, q querier, subject string) (storage.User, error) {
	rows, _ := q.Query(ctx, `SELECT `+userColumns+` FROM users WHERE subject = $1`, subject)
	return pgx.CollectExactlyOneRow(rows, scanUser)
}

// bindingColumns is the column list bindingScan receives, in order, and
// bindingOrder the order ListBindings returns a user's bindings in.
const (
	bindingColumns = `id, corp_id, user_id, union_id, subject, profile, created_at, updated_at, last_login_at`
	bindingOrder   = `corp_id, user_id, union_id`
)

// binding is a stored binding with its surrogate key.
type binding struct {
	id int64
	storage.Binding
}

// bindingScan receives the columns of bindingColumns, from a row or, as a
// pgtype.CompositeIndexScanner, from a ROW(bindingColumns) record.
type bindingScan struct {
	b                                 binding
	createdAt, updatedAt, lastLoginAt pgtype.Timestamptz
}

func (s *bindingScan) dests() []any {
	return []any{&s.b.id, &s.b.CorpID, &s.b.UserID, &s.b.UnionID, &s.b.Subject, &s.b.Profile,
		&s.createdAt, &s.updatedAt, &s.lastLoginAt}
}

func (s *bindingScan) value() binding {
	b := s.b
	b.CreatedAt, b.UpdatedAt, b.LastLoginAt = utc(s.createdAt), utc(s.updatedAt), utc(s.lastLoginAt)
	return b
}

// ScanNull refuses a NULL record: a binding is never NULL.
func (s *bindingScan) ScanNull() error { return errors.New("scan binding: unexpected NULL record") }

// ScanIndex returns the destination of the record's field i.
func (s *bindingScan) ScanIndex(i int) any { return s.dests()[i] }

func scanBinding(row pgx.CollectableRow) (binding, error) {
	var s bindingScan
	err := row.Scan(s.dests()...)
	return s.value(), err
}

// ListBindings returns the DingTalk bindings of a user ordered by CorpID
// (an unknown subject has none).
func (s *Store) ListBindings(ctx context.Context, subject string) ([]storage.Binding, error) {
	const q = `SELECT ` + bindingColumns + ` FROM bindings WHERE subject = $1 ORDER BY ` + bindingOrder
	rows, _ := s.pool.Query(ctx, q, subject)
	bs, err := pgx.CollectRows(rows, scanBinding)
	if err != nil {
		return nil, dbErr("list bindings", err)
	}
	out := make([]storage.Binding, len(bs))
	for i, b := range bs {
		out[i] = b.Binding
	}
	return out, nil
}

// FindBinding finds the binding for a DingTalk identity: by (CorpID,
// UserID) when both are set, otherwise by UnionID in any corp, the most
// recently used binding first. An identity without ids finds nothing.
func (s *Store) FindBinding(ctx context.Context, id storage.Identity) (storage.Binding, error) {
	b, err := findBinding(ctx, s.pool, id)
	if err != nil {
		return storage.Binding{}, dbErr("find binding", err)
	}
	return b.Binding, nil
}

func findBinding(ctx context.Context, q querier, id storage.Identity) (binding, error) {
	// The id <> '' terms match the partial unique indexes' predicates, so
	// the planner can use them.
	switch {
	case id.CorpID != "" && id.UserID != "":
		return bindingByUserID(ctx, q, id.CorpID, id.UserID)
	case id.UnionID != "":
		return bindingByUnionID(ctx, q, id.UnionID)
	}
	return binding{}, pgx.ErrNoRows
}

// bindingByUnionID finds the most recently used binding with the union id,
// in any corp.
func bindingByUnionID(ctx context.Context, q querier, unionID string) (binding, error) {
	const sql = `SELECT ` + bindingColumns + ` FROM bindings
		WHERE union_id = $1 AND union_id <> ''
		ORDER BY last_login_at DESC NULLS LAST, id DESC LIMIT 1`
	rows, _ := q.Query(ctx, sql, unionID)
	return pgx.CollectExactlyOneRow(rows, scanBinding)
}

func bindingByUserID(ctx context.Context, q querier, corpID, userID string) (binding, error) {
	const sql = `SELECT ` + bindingColumns + ` FROM bindings
		WHERE corp_id = $1 AND user_id = $2 AND user_id <> ''`
	rows, _ := q.Query(ctx, sql, corpID, userID)
	return pgx.CollectExactlyOneRow(rows, scanBinding)
}

func bindingByCorpUnionID(ctx context.Context, q querier, corpID, unionID string) (binding, error) {
	const sql = `SELECT ` + bindingColumns + ` FROM bindings
		WHERE corp_id = $1 AND union_id = $2 AND union_id <> ''`
	rows, _ := q.Query(ctx, sql, corpID, unionID)
	return pgx.CollectExactlyOneRow(rows, scanBinding)
}
