package resolve_test

import (
	"context"
	"maps"
	"testing"

	dt "github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
	"github.com/dingbridge/dingbridge/provider/resolve"
)

// TestCallsPerFlow counts the DingTalk calls of one login per flow, cold
// (nothing cached) and warm (tokens and departments cached). The package
// doc states the warm counts.
func TestCallsPerFlow(t *testing.T) {
	type login func(ctx context.Context, e *env) (*resolve.Result, error)
	flows := []struct {
		name       string
		login      login
		cold, warm map[dt.Endpoint]int
	}{
		{
			name: "qr",
			login: func(ctx context.Context, e *env) (*resolve.Result, error) {
				return e.r.QR(ctx, dt.DemoAppKey, e.sim.IssueCode(dt.CodeOAuth, dt.DemoAppKey, dt.DemoCorpID, aliceCorp1), "")
			},
			cold: map[dt.Endpoint]int{dt.EndpointUserAccessToken: 1, dt.EndpointContactUser: 1, dt.EndpointAccessToken: 1,
				dt.EndpointGetByUnionID: 1, dt.EndpointUserGet: 1, dt.EndpointDepartmentGet: 3},
			warm: map[dt.Endpoint]int{dt.EndpointUserAccessToken: 1, dt.EndpointContactUser: 1,
				dt.EndpointGetByUnionID: 1, dt.EndpointUserGet: 1},
		},
		{
			name: "sns",
			login: func(ctx context.Context, e *env) (*resolve.Result, error) {
				return e.r.SNS(ctx, dt.DemoLoginAppID, e.sim.IssueCode(dt.CodeSNS, dt.DemoLoginAppID, dt.DemoCorpID, aliceCorp1), dt.DemoCorpID)
			},
			cold: map[dt.Endpoint]int{dt.EndpointSNSUserInfo: 1, dt.EndpointAccessToken: 1,
				dt.EndpointGetByUnionID: 1, dt.EndpointUserGet: 1, dt.EndpointDepartmentGet: 3},
			warm: map[dt.Endpoint]int{dt.EndpointSNSUserInfo: 1, dt.EndpointGetByUnionID: 1, dt.EndpointUserGet: 1},
		},
		{
			name: "workspace",
			login: func(ctx context.Context, e *env) (*resolve.Result, error) {
				return e.r.Workspace(ctx, dt.DemoCorpID, e.sim.IssueCode(dt.CodeJSAPI, dt.DemoAppKey, dt.DemoCorpID, aliceCorp1))
			},
			cold: map[dt.Endpoint]int{dt.EndpointAccessToken: 1, dt.EndpointGetUserInfo: 1, dt.EndpointUserGet: 1,
				dt.EndpointDepartmentGet: 3},
			warm: map[dt.Endpoint]int{dt.EndpointGetUserInfo: 1, dt.EndpointUserGet: 1},
		},
		{
			name: "mini program",
			login: func(ctx context.Context, e *env) (*resolve.Result, error) {
				return e.r.MiniProgram(ctx, dt.DemoCorpID, e.sim.IssueCode(dt.CodeJSAPI, dt.DemoAppKey, dt.DemoCorpID, aliceCorp1))
			},
			cold: map[dt.Endpoint]int{dt.EndpointAccessToken: 1, dt.EndpointGetUserInfo: 1, dt.EndpointUserGet: 1,
				dt.EndpointDepartmentGet: 3},
			warm: map[dt.Endpoint]int{dt.EndpointGetUserInfo: 1, dt.EndpointUserGet: 1},
		},
		{
			name: "admin console",
			login: func(ctx context.Context, e *env) (*resolve.Result, error) {
				return e.r.Admin(ctx, resolve.AdminSelector{CorpID: dt.DemoCorpID}, e.sim.IssueCode(dt.CodeSSO, "", dt.DemoCorpID, aliceCorp1))
			},
			cold: map[dt.Endpoint]int{dt.EndpointSSOAccessToken: 1, dt.EndpointSSOUserInfo: 1, dt.EndpointAccessToken: 1,
				dt.EndpointUserGet: 1, dt.EndpointDepartmentGet: 3},
			warm: map[dt.Endpoint]int{dt.EndpointSSOUserInfo: 1, dt.EndpointUserGet: 1},
		},
	}
	for _, f := range flows {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, demoConfig())
			for _, phase := range []struct {
				name string
				want map[dt.Endpoint]int
			}{{"cold", f.cold}, {"warm", f.warm}} {
				e.sim.ResetCalls()
				if _, err := f.login(t.Context(), e); err != nil {
					t.Fatalf("%s login: %v", phase.name, err)
				}
				got := e.calls()
				if !maps.Equal(got, phase.want) {
					t.Errorf("%s calls = %v, want %v", phase.name, got, phase.want)
				}
				t.Logf("%s %s: %d DingTalk calls", f.name, phase.name, total(got))
			}
		})
	}
}
