package resolve_test

import (
	"context"
	"maps"
	"testing"

	dt "github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
	"github.com/dingbridge/dingbridge/provider/resolve"
)

// TestCallsPerFlow counts the DingTalk calls of one login per flow, cold
// (nothing cached), warm (tokens and departments cached, the person seen
// before) and first (tokens and departments cached, a resolver that has not
// seen the person: another replica; nil when the same as warm). The package
// doc states the warm and first counts.
func TestCallsPerFlow(t *testing.T) {
	type login func(ctx context.Context, e *env, r *resolve.Resolver) (*resolve.Result, error)
	flows := []struct {
		name              string
		login             login
		cold, warm, first map[dt.Endpoint]int
	}{
		{
			name: "qr",
			login: func(ctx context.Context, e *env, r *resolve.Resolver) (*resolve.Result, error) {
				return r.QR(ctx, dt.DemoAppKey, e.sim.IssueCode(dt.CodeOAuth, dt.DemoAppKey, dt.DemoCorpID, aliceCorp1), "")
			},
			cold: map[dt.Endpoint]int{dt.EndpointUserAccessToken: 1, dt.EndpointContactUser: 1, dt.EndpointAccessToken: 1,
				dt.EndpointGetByUnionID: 1, dt.EndpointUserGet: 1, dt.EndpointDepartmentGet: 3},
			warm: map[dt.Endpoint]int{dt.EndpointUserAccessToken: 1, dt.EndpointContactUser: 1, dt.EndpointUserGet: 1},
			first: map[dt.Endpoint]int{dt.EndpointUserAccessToken: 1, dt.EndpointContactUser: 1,
				dt.EndpointGetByUnionID: 1, dt.EndpointUserGet: 1},
		},
		{
			name: "sns",
			login: func(ctx context.Context, e *env, r *resolve.Resolver) (*resolve.Result, error) {
				return r.SNS(ctx, dt.DemoLoginAppID, e.sim.IssueCode(dt.CodeSNS, dt.DemoLoginAppID, dt.DemoCorpID, aliceCorp1), dt.DemoCorpID)
			},
			cold: map[dt.Endpoint]int{dt.EndpointSNSUserInfo: 1, dt.EndpointAccessToken: 1,
				dt.EndpointGetByUnionID: 1, dt.EndpointUserGet: 1, dt.EndpointDepartmentGet: 3},
			warm:  map[dt.Endpoint]int{dt.EndpointSNSUserInfo: 1, dt.EndpointUserGet: 1},
			first: map[dt.Endpoint]int{dt.EndpointSNSUserInfo: 1, dt.EndpointGetByUnionID: 1, dt.EndpointUserGet: 1},
		},
		{
			name: "workspace",
			login: func(ctx context.Context, e *env, r *resolve.Resolver) (*resolve.Result, error) {
				return r.Workspace(ctx, dt.DemoCorpID, e.sim.IssueCode(dt.CodeJSAPI, dt.DemoAppKey, dt.DemoCorpID, aliceCorp1))
			},
			cold: map[dt.Endpoint]int{dt.EndpointAccessToken: 1, dt.EndpointGetUserInfo: 1, dt.EndpointUserGet: 1,
				dt.EndpointDepartmentGet: 3},
			warm: map[dt.Endpoint]int{dt.EndpointGetUserInfo: 1, dt.EndpointUserGet: 1},
		},
		{
			name: "mini program",
			login: func(ctx context.Context, e *env, r *resolve.Resolver) (*resolve.Result, error) {
				return r.MiniProgram(ctx, dt.DemoCorpID, e.sim.IssueCode(dt.CodeJSAPI, dt.DemoAppKey, dt.DemoCorpID, aliceCorp1))
			},
			cold: map[dt.Endpoint]int{dt.EndpointAccessToken: 1, dt.EndpointGetUserInfo: 1, dt.EndpointUserGet: 1,
				dt.EndpointDepartmentGet: 3},
			warm: map[dt.Endpoint]int{dt.EndpointGetUserInfo: 1, dt.EndpointUserGet: 1},
		},
		{
			name: "admin console",
			login: func(ctx context.Context, e *env, r *resolve.Resolver) (*resolve.Result, error) {
				return r.Admin(ctx, resolve.AdminSelector{CorpID: dt.DemoCorpID}, e.sim.IssueCode(dt.CodeSSO, "", dt.DemoCorpID, aliceCorp1))
			},
			cold: map[dt.Endpoint]int{dt.EndpointSSOAccessToken: 1, dt.EndpointSSOUserInfo: 1, dt.EndpointAccessToken: 1,
				dt.EndpointUserGet: 1, dt.EndpointDepartmentGet: 3},
			warm: map[dt.Endpoint]int{dt.EndpointSSOUserInfo: 1, dt.EndpointUserGet: 1},
		},
	}
	for _, f := range flows {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, demoConfig())
			_, replica := e.resolver(t, demoConfig())
			first := f.first
			if first == nil {
				first = f.warm
			}
			for _, phase := range []struct {
				name string
				r    *resolve.Resolver
				want map[dt.Endpoint]int
			}{{"cold", e.r, f.cold}, {"warm", e.r, f.warm}, {"first", replica, first}} {
				e.sim.ResetCalls()
				if _, err := f.login(t.Context(), e, phase.r); err != nil {
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
