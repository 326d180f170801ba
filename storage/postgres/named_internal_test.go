package postgres

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestNamedArgsRewriteLikePgx checks that namedArgs rewrites the package's
// long statements exactly as pgx.NamedArgs does, the first time and from
// its cache.
func TestNamedArgsRewriteLikePgx(t *testing.T) {
	ctx := context.Background()
	for name, q := range map[string]string{
		"completeByUserIDSQL":         completeByUserIDSQL,
		"completeBySubjectSQL":        completeBySubjectSQL,
		"completePendingByUserIDSQL":  completePendingByUserIDSQL,
		"completePendingBySubjectSQL": completePendingBySubjectSQL,
		"insertCompletedSQL":          insertCompletedSQL,
		"redeemQuery":                 redeemQuery[0],
		"redeemQuery, refresh":        redeemQuery[1],
		"rotateQuery":                 rotateQuery[1],
		"createTokensQuery":           createTokensQuery[0],
		"createTokensQuery, refresh":  createTokensQuery[1],
		"quotes and casts":            `SELECT '@not_a_name', @a::jsonb, "@b", @a, @c -- @d` + "\n" + `, @b`,
	} {
		t.Run(name, func(t *testing.T) {
			args := namedArgs{}
			for _, n := range placeholderNames(q) {
				args[n] = "value of " + n
			}
			wantSQL, wantArgs, err := pgx.NamedArgs(args).RewriteQuery(ctx, nil, q, nil)
			if err != nil {
				t.Fatal(err)
			}
			for round := range 2 {
				gotSQL, gotArgs, err := args.RewriteQuery(ctx, nil, q, nil)
				if err != nil || gotSQL != wantSQL || !reflect.DeepEqual(gotArgs, wantArgs) {
					t.Fatalf("round %d: got %q %v (%v), want %q %v", round, gotSQL, gotArgs, err, wantSQL, wantArgs)
				}
			}
		})
	}
}

// TestNamedArgsMissingName checks that a query rewritten with a
// placeholder left without an argument is not cached under that gap.
func TestNamedArgsMissingName(t *testing.T) {
	ctx := context.Background()
	const q = `SELECT @x_missing_test, @y_missing_test`
	sql, args, err := namedArgs{"x_missing_test": 1}.RewriteQuery(ctx, nil, q, nil)
	if err != nil || sql != "SELECT $1, $2" || !reflect.DeepEqual(args, []any{1, nil}) {
		t.Fatalf("got %q %v %v", sql, args, err)
	}
	_, args, _ = namedArgs{"x_missing_test": 1, "y_missing_test": 2}.RewriteQuery(ctx, nil, q, nil)
	if !reflect.DeepEqual(args, []any{1, 2}) {
		t.Fatalf("second call args = %v, want [1 2]", args)
	}
}

// placeholderNames lists the @names in q (over-approximating inside
// quotes does no harm: extra arguments are ignored).
func placeholderNames(q string) []string {
	var names []string
	for i := 0; i < len(q); i++ {
		if q[i] != '@' {
			continue
		}
		j := i + 1
		for j < len(q) && (q[j] == '_' || q[j] >= 'a' && q[j] <= 'z' || q[j] >= 'A' && q[j] <= 'Z' || q[j] >= '0' && q[j] <= '9') {
			j++
		}
		if n := q[i+1 : j]; n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
		i = j - 1
	}
	return names
}
