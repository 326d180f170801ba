package resolve_test

import (
	"errors"
	"testing"
	"time"

	dt "github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
	"github.com/dingbridge/dingbridge/provider/resolve"
)

// isvConfig serves corp 1 through its internal app and corp 2 through the
// demo suite, whose ticket is pushed (none configured).
func isvConfig() resolve.Config {
	return resolve.Config{
		Corps: demoConfig().Corps[:1],
		Suites: []resolve.Suite{{SuiteKey: dt.DemoSuiteKey, SuiteSecret: dt.DemoSuiteSecret,
			Corps: []resolve.SuiteCorp{{CorpID: dt.DemoCorp2ID, Name: dt.DemoCorp2Name, AgentID: 1234567890}}}},
	}
}

func TestISVWithStoredTicket(t *testing.T) {
	e := newEnv(t, isvConfig())
	ctx := t.Context()
	code := e.sim.IssueCode(dt.CodeJSAPI, dt.DemoSuiteKey, dt.DemoCorp2ID, bob)
	if _, err := e.r.Workspace(ctx, dt.DemoCorp2ID, code); !errors.Is(err, resolve.ErrNoSuiteTicket) {
		t.Fatalf("Workspace before any ticket = %v, want ErrNoSuiteTicket", err)
	}
	if err := e.r.SetSuiteTicket(ctx, "suiteunknown", "t"); !errors.Is(err, resolve.ErrUnknownSuite) {
		t.Errorf("SetSuiteTicket(unknown suite) = %v, want ErrUnknownSuite", err)
	}
	if err := e.r.SetSuiteTicket(ctx, dt.DemoSuiteKey, ""); err == nil {
		t.Error("SetSuiteTicket(empty) = nil, want an error")
	}
	if err := e.r.SetSuiteTicket(ctx, dt.DemoSuiteKey, dt.DemoSuiteTicket); err != nil {
		t.Fatalf("SetSuiteTicket: %v", err)
	}
	row, err := e.store.GetCache(ctx, "suite_ticket:"+dt.DemoSuiteKey, time.Now())
	if err != nil || string(row.Value) != dt.DemoSuiteTicket || row.ExpiresAt.Before(time.Now().Add(24*time.Hour)) {
		t.Errorf("stored ticket = %q until %v (%v), want the ticket for days", row.Value, row.ExpiresAt, err)
	}

	code = e.sim.IssueCode(dt.CodeJSAPI, dt.DemoSuiteKey, dt.DemoCorp2ID, bob)
	res, err := e.r.Workspace(ctx, dt.DemoCorp2ID, code)
	if err != nil {
		t.Fatalf("Workspace through the suite: %v", err)
	}
	p := res.Identity.Profile
	if res.Identity.UserID != bob || res.Identity.UnionID == "" || !res.Member || p.Name != "Bob Smith" || p.CorpName != dt.DemoCorp2Name {
		t.Errorf("suite workspace result = %+v", res)
	}
	if p.Mobile != "" || p.Email != "" {
		t.Errorf("ISV profile has mobile %q / email %q, which DingTalk does not give suites", p.Mobile, p.Email)
	}
	if len(p.Departments) != 2 || p.Departments[1].Path != "Sales" || p.Departments[0].Path != dt.DemoCorp2Name {
		t.Errorf("Departments = %+v, want root and Sales", p.Departments)
	}
	if n := e.sim.Calls(dt.EndpointCorpAccessToken); n != 1 {
		t.Errorf("E20 corp token calls = %d, want 1", n)
	}

	// QR through the suite learns the corp from E2.
	code = e.sim.IssueCode(dt.CodeOAuth, dt.DemoSuiteKey, dt.DemoCorp2ID, aliceCorp2)
	res, err = e.r.QR(ctx, dt.DemoSuiteKey, code, "")
	if err != nil {
		t.Fatalf("QR through the suite: %v", err)
	}
	if res.CorpID != dt.DemoCorp2ID || res.Identity.UserID != aliceCorp2 || res.Identity.UnionID != dt.DemoSharedUnionID {
		t.Errorf("suite QR identity = %+v in %q", res.Identity, res.CorpID)
	}
}

// A newly pushed ticket is used by the next corp token fetch.
func TestISVTicketRotation(t *testing.T) {
	e := newEnv(t, isvConfig())
	ctx := t.Context()
	if err := e.r.SetSuiteTicket(ctx, dt.DemoSuiteKey, dt.DemoSuiteTicket); err != nil {
		t.Fatal(err)
	}
	if _, err := e.r.Workspace(ctx, dt.DemoCorp2ID, e.sim.IssueCode(dt.CodeJSAPI, dt.DemoSuiteKey, dt.DemoCorp2ID, bob)); err != nil {
		t.Fatalf("Workspace: %v", err)
	}
	e.sim.SetSuiteTicket(dt.DemoSuiteKey, "ticket-2")
	if err := e.r.SetSuiteTicket(ctx, dt.DemoSuiteKey, "ticket-2"); err != nil {
		t.Fatal(err)
	}
	e.sim.ExpireTokens()
	if _, err := e.r.Workspace(ctx, dt.DemoCorp2ID, e.sim.IssueCode(dt.CodeJSAPI, dt.DemoSuiteKey, dt.DemoCorp2ID, bob)); err != nil {
		t.Fatalf("Workspace after a new ticket and expired tokens: %v", err)
	}
	if n := e.sim.Calls(dt.EndpointCorpAccessToken); n != 2 {
		t.Errorf("E20 corp token calls = %d, want 2", n)
	}
}

func TestISVStaticTicket(t *testing.T) {
	cfg := isvConfig()
	cfg.Suites[0].Ticket = dt.DemoSuiteTicket
	e := newEnv(t, cfg)
	res, err := e.r.Workspace(t.Context(), dt.DemoCorp2ID, e.sim.IssueCode(dt.CodeJSAPI, dt.DemoSuiteKey, dt.DemoCorp2ID, bob))
	if err != nil {
		t.Fatalf("Workspace with a static ticket: %v", err)
	}
	if res.Identity.UserID != bob {
		t.Errorf("UserID = %q, want %q", res.Identity.UserID, bob)
	}
}
