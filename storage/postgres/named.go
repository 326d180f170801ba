package postgres

import (
	"context"
	"sync"

	"github.com/jackc/pgx/v5"
)

// namedArgs is pgx.NamedArgs whose rewrite of a query's @name
// placeholders into $n ones is done once per query text and then reused:
// pgx.NamedArgs lexes the whole statement on every execution, which for
// the long statements of a login cost more than their arguments.
type namedArgs map[string]any

// rewritten is a query text with $n placeholders and the names that fill
// them, in order.
type rewritten struct {
	sql   string
	names []string
}

// rewrites caches rewritten by original query text. The statements are
// constants of this package, so it stays small.
var rewrites sync.Map

// nameMarker stands for a named argument while pgx rewrites a query once,
// to learn the order of the names.
type nameMarker struct{ name string }

// RewriteQuery implements pgx.QueryRewriter.
func (na namedArgs) RewriteQuery(ctx context.Context, conn *pgx.Conn, sql string, args []any) (string, []any, error) {
	if len(args) > 0 {
		return pgx.NamedArgs(na).RewriteQuery(ctx, conn, sql, args)
	}
	if r, ok := rewrites.Load(sql); ok {
		return r.(rewritten).sql, na.values(r.(rewritten).names), nil
	}
	markers := make(pgx.NamedArgs, len(na))
	for k := range na {
		markers[k] = nameMarker{k}
	}
	newSQL, order, err := markers.RewriteQuery(ctx, conn, sql, nil)
	if err != nil {
		return "", nil, err
	}
	names := make([]string, len(order))
	for i, v := range order {
		m, ok := v.(nameMarker)
		if !ok {
			// A placeholder without an argument: not cached, so that a
			// call that names it later is rewritten afresh.
			return pgx.NamedArgs(na).RewriteQuery(ctx, conn, sql, args)
		}
		names[i] = m.name
	}
	rewrites.Store(sql, rewritten{sql: newSQL, names: names})
	return newSQL, na.values(names), nil
}

func (na namedArgs) values(names []string) []any {
	out := make([]any, len(names))
	for i, n := range names {
		out[i] = na[n]
	}
	return out
}
