package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/dingbridge/dingbridge/storage"
)

// querier is what *sql.DB and *sql.Tx share for reads.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// CreateUser stores a new user; ErrAlreadyExists if the subject is taken.
func (s *Store) CreateUser(ctx context.Context, u storage.User) error {
	var e encoder
	profile := e.json(u.Profile)
	if e.err != nil {
		return fmt.Errorf("create user %q: %w", u.Subject, e.err)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO users (subject, profile, created_at, updated_at)
		VALUES (?, ?, ?, ?)`, u.Subject, profile, micros(u.CreatedAt), micros(u.UpdatedAt))
	if err != nil {
		return fmt.Errorf("create user %q: %w", u.Subject, mapErr(err))
	}
	return nil
}

// GetUser loads a user by subject.
func (s *Store) GetUser(ctx context.Context, subject string) (storage.User, error) {
	u, err := getUser(ctx, s.db, subject)
	if err != nil {
		return storage.User{}, fmt.Errorf("get user %q: %w", subject, err)
	}
	return u, nil
}

func getUser(ctx context.Context, q querier, subject string) (storage.User, error) {
	var u storage.User
	err := q.QueryRowContext(ctx, `SELECT subject, profile, created_at, updated_at FROM users WHERE subject = ?`, subject).
		Scan(&u.Subject, jsonDest{&u.Profile}, timeDest{&u.CreatedAt}, timeDest{&u.UpdatedAt})
	return u, mapErr(err)
}

const bindingColumns = `id, corp_id, user_id, union_id, subject, profile, created_at, updated_at, last_login_at`

// binding is a stored binding with its row id.
type binding struct {
	rowID int64
	storage.Binding
}

func scanBinding(row interface{ Scan(...any) error }) (binding, error) {
	var b binding
	err := row.Scan(&b.rowID, &b.CorpID, &b.UserID, &b.UnionID, &b.Subject, jsonDest{&b.Profile},
		timeDest{&b.CreatedAt}, timeDest{&b.UpdatedAt}, timeDest{&b.LastLoginAt})
	return b, mapErr(err)
}

// ListBindings returns the DingTalk bindings of a user ordered by CorpID.
func (s *Store) ListBindings(ctx context.Context, subject string) ([]storage.Binding, error) {
	out, err := listBindings(ctx, s.db, subject)
	if err != nil {
		return nil, fmt.Errorf("list bindings of %q: %w", subject, err)
	}
	return out, nil
}

func listBindings(ctx context.Context, q querier, subject string) ([]storage.Binding, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+bindingColumns+` FROM bindings
		WHERE subject = ? ORDER BY corp_id, user_id, union_id`, subject)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storage.Binding
	for rows.Next() {
		b, err := scanBinding(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b.Binding)
	}
	return out, rows.Err()
}

// FindBinding finds the binding for a DingTalk identity: by (CorpID,
// UserID) when both are set, otherwise by UnionID in any corp, the most
// recently used binding first.
func (s *Store) FindBinding(ctx context.Context, id storage.Identity) (storage.Binding, error) {
	b, err := findBinding(ctx, s.db, id)
	if err != nil {
		return storage.Binding{}, fmt.Errorf("find binding: %w", err)
	}
	return b.Binding, nil
}

func findBinding(ctx context.Context, q querier, id storage.Identity) (binding, error) {
	switch {
	case id.CorpID != "" && id.UserID != "":
		return scanBinding(q.QueryRowContext(ctx, `SELECT `+bindingColumns+` FROM bindings
			WHERE corp_id = ? AND user_id = ?`, id.CorpID, id.UserID))
	case id.UnionID != "":
		return bindingByUnionID(ctx, q, id.UnionID, "")
	}
	return binding{}, storage.ErrNotFound
}

// bindingByUnionID returns the binding of unionID in corpID if corpID is
// set and there is one, else the most recently used binding of unionID in
// any corp.
func bindingByUnionID(ctx context.Context, q querier, unionID, corpID string) (binding, error) {
	return scanBinding(q.QueryRowContext(ctx, `SELECT `+bindingColumns+` FROM bindings
		WHERE union_id = ?1
		ORDER BY (?2 <> '' AND corp_id = ?2) DESC, last_login_at DESC, id DESC LIMIT 1`, unionID, corpID))
}

// isNotFound reports whether err is storage.ErrNotFound.
func isNotFound(err error) bool { return errors.Is(err, storage.ErrNotFound) }
