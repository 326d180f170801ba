package resolve_test

import (
	"bytes"
	"testing"
	"time"

	dt "github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
	"github.com/dingbridge/dingbridge/provider/resolve"
	"github.com/dingbridge/dingbridge/storage/postgres/postgrestest"
)

// TestPostgres runs the storage-facing behaviour on PostgreSQL: encrypted
// tokens shared by two replicas, the department cache, suite tickets and
// one subject across flows and corps.
func TestPostgres(t *testing.T) {
	e := newEnvOn(t, postgrestest.New(t), isvConfig())
	_, r2 := e.resolver(t, isvConfig())
	ctx := t.Context()
	if err := r2.SetSuiteTicket(ctx, dt.DemoSuiteKey, dt.DemoSuiteTicket); err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for i, r := range []struct {
		corp, client, user string
	}{
		{dt.DemoCorpID, dt.DemoAppKey, aliceCorp1},
		{dt.DemoCorpID, dt.DemoAppKey, aliceCorp1},
		{dt.DemoCorp2ID, dt.DemoSuiteKey, aliceCorp2},
	} {
		resolver := e.r
		if i%2 == 1 {
			resolver = r2
		}
		res, err := resolver.Workspace(ctx, r.corp, e.sim.IssueCode(dt.CodeJSAPI, r.client, r.corp, r.user))
		if err != nil {
			t.Fatalf("login %d: %v", i, err)
		}
		subjects = append(subjects, complete(t, e.store, res))
	}
	if subjects[0] != subjects[1] || subjects[1] != subjects[2] {
		t.Errorf("subjects = %q, want one", subjects)
	}
	if n := e.sim.Calls(dt.EndpointAccessToken); n != 1 {
		t.Errorf("app token fetches = %d, want 1 for two replicas", n)
	}
	if n := e.sim.Calls(dt.EndpointDepartmentGet); n != 4 {
		t.Errorf("E22 calls = %d, want 4 (three in corp 1 once, Sales once)", n)
	}
	row, err := e.store.GetCache(ctx, "dingtalk:app:v1:"+dt.DemoAppKey, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := resolve.NewTokenStore(e.store, e.key).GetToken(ctx, "dingtalk:app:v1:"+dt.DemoAppKey)
	if err != nil || bytes.Contains(row.Value, []byte(tok)) {
		t.Errorf("token row holds the token in plain (or does not open: %v)", err)
	}
}
