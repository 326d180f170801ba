package resolve_test

import (
	"errors"
	"testing"

	dt "github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
	"github.com/dingbridge/dingbridge/provider/resolve"
	"github.com/dingbridge/dingbridge/storage"
)

func TestCheck(t *testing.T) {
	e := newEnv(t, demoConfig())
	ws := func(corp, app, user string) *resolve.Result {
		t.Helper()
		res, err := e.r.Workspace(t.Context(), corp, e.sim.IssueCode(dt.CodeJSAPI, app, corp, user))
		if err != nil {
			t.Fatalf("Workspace(%s): %v", user, err)
		}
		return res
	}
	alice := ws(dt.DemoCorpID, dt.DemoAppKey, aliceCorp1) // 后端组 (under 研发部) and 市场部
	boss := ws(dt.DemoCorpID, dt.DemoAppKey, lisi)        // root department only
	bobRes := ws(dt.DemoCorp2ID, dt.DemoApp2Key, bob)     // root and Sales of corp 2
	unknown := &resolve.Result{CorpID: "dingelsewhere", Member: true, Directory: true,
		Identity: storage.Identity{Profile: storage.Profile{Active: true}}}
	noCorp := &resolve.Result{Identity: storage.Identity{UnionID: "u"}}

	tests := []struct {
		name   string
		res    *resolve.Result
		policy storage.ClientPolicy
		want   resolve.PolicyReason // 0: allowed
	}{
		{"open policy", alice, storage.ClientPolicy{}, 0},
		{"allowed corp", alice, storage.ClientPolicy{AllowedCorps: []string{dt.DemoCorpID}}, 0},
		{"corp not allowed", alice, storage.ClientPolicy{AllowedCorps: []string{dt.DemoCorp2ID}}, resolve.CorpNotAllowed},
		{"no corp, corps required", noCorp, storage.ClientPolicy{AllowedCorps: []string{dt.DemoCorpID}}, resolve.CorpNotAllowed},
		{"no corp, open policy", noCorp, storage.ClientPolicy{}, 0},
		{"unknown corp", unknown, storage.ClientPolicy{}, resolve.UnknownCorp},
		{"members only, member", alice, storage.ClientPolicy{MembersOnly: true}, 0},
		{"members only, no corp", noCorp, storage.ClientPolicy{MembersOnly: true}, resolve.NotMember},
		{"department itself", alice, storage.ClientPolicy{RequiredDepartments: []int64{deptMkt}}, 0},
		{"sub-department", alice, storage.ClientPolicy{RequiredDepartments: []int64{deptRD}}, 0},
		{"one of several", alice, storage.ClientPolicy{RequiredDepartments: []int64{deptSales, deptBackend}}, 0},
		{"not in department", alice, storage.ClientPolicy{RequiredDepartments: []int64{deptSales}}, resolve.NotInDepartment},
		{"root member not in sub-department", boss, storage.ClientPolicy{RequiredDepartments: []int64{deptRD}}, resolve.NotInDepartment},
		{"root covers everyone", alice, storage.ClientPolicy{RequiredDepartments: []int64{1}}, 0},
		{"other corp's department", bobRes, storage.ClientPolicy{RequiredDepartments: []int64{deptSales}}, 0},
		{"no departments", noCorp, storage.ClientPolicy{RequiredDepartments: []int64{1}}, resolve.NotInDepartment},
		{"corp checked before membership", alice, storage.ClientPolicy{AllowedCorps: []string{"x"}, MembersOnly: true}, resolve.CorpNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.r.Check(tt.res, tt.policy)
			if tt.want == 0 {
				if err != nil {
					t.Errorf("Check = %v, want nil", err)
				}
				return
			}
			var pe *resolve.PolicyError
			if !errors.As(err, &pe) || pe.Reason != tt.want || pe.CorpID != tt.res.CorpID {
				t.Errorf("Check = %v, want %v for corp %q", err, tt.want, tt.res.CorpID)
			}
		})
	}
}

func TestPolicyErrorText(t *testing.T) {
	err := &resolve.PolicyError{Reason: resolve.NotInDepartment, CorpID: "dingx"}
	if got, want := err.Error(), "resolve: policy refused: not_in_department (corp dingx)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
