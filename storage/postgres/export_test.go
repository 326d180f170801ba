package postgres

import "context"

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
