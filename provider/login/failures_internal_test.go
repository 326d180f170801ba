package login

import (
	"errors"
	"fmt"
	"testing"

	"github.com/dingbridge/dingbridge/dingtalk"
	"github.com/dingbridge/dingbridge/provider/resolve"
)

func TestClassify(t *testing.T) {
	api := func(code, sub string, kind dingtalk.Kind) error {
		return fmt.Errorf("resolve: %w", &dingtalk.APIError{Code: code, SubCode: sub, Kind: kind, Endpoint: "POST /topapi/v2/user/get"})
	}
	tests := []struct {
		err  error
		want reason
	}{
		{api("40078", "", dingtalk.KindCodeInvalid), reasonCodeInvalid},
		{&dingtalk.APIError{Code: "invalidCode", Kind: dingtalk.KindCodeInvalid, Endpoint: "GET /v1.0/oauth2/ssoUserInfo"}, reasonSSOCodeInvalid},
		{api("41007", "", dingtalk.KindCodeInvalid), reasonSSOCodeInvalid},
		{api("60121", "", dingtalk.KindNotMember), reasonNotVisible},
		{api("50002", "", dingtalk.KindNotMember), reasonNotVisible},
		{api("40079", "", dingtalk.KindNotMember), reasonNotVisible},
		{api("88", "60011", dingtalk.KindNoPermission), reasonNoPermission},
		{api("88", "60020", dingtalk.KindNoPermission), reasonIPWhitelist},
		{api("40096", "", dingtalk.KindBadCredentials), reasonBadCredentials},
		{api("40089", "", dingtalk.KindBadCredentials), reasonBadCredentials},
		{api("853002", "", dingtalk.KindTimestamp), reasonClock},
		{api("90018", "", dingtalk.KindThrottled), reasonThrottled},
		{api("-1", "", dingtalk.KindTransient), reasonUnavailable},
		{&dingtalk.TransportError{}, reasonUnavailable},
		{api("22", "", dingtalk.KindOther), reasonInternal},
		{&resolve.PolicyError{Reason: resolve.NotMember}, reasonNotMember},
		{fmt.Errorf("x: %w", &resolve.PolicyError{Reason: resolve.Inactive}), reasonInactive},
		{&resolve.PolicyError{Reason: resolve.NotInDepartment}, reasonNotInDepartment},
		{&resolve.PolicyError{Reason: resolve.CorpNotAllowed}, reasonCorpNotAllowed},
		{&resolve.PolicyError{Reason: resolve.UnknownCorp}, reasonUnknownCorp},
		{resolve.ErrNoSuiteTicket, reasonNoTicket},
		{resolve.ErrNoSSO, reasonNoSSO},
		{fmt.Errorf("%w: mismatch", errState), reasonState},
		{errors.New("boom"), reasonInternal},
	}
	for _, tt := range tests {
		if got := classify(tt.err); got != tt.want {
			t.Errorf("classify(%v) = %s, want %s", tt.err, got, tt.want)
		}
	}
}

func TestDetailNamesPermission(t *testing.T) {
	err := &dingtalk.APIError{Code: "88", SubCode: "60011", SubMessage: "qyapi_get_member", Kind: dingtalk.KindNoPermission}
	if got := detail(classify(err), err); got != "qyapi_get_member" {
		t.Errorf("detail = %q", got)
	}
	other := &dingtalk.APIError{Code: "40078", Message: "secret-ish", Kind: dingtalk.KindCodeInvalid}
	if got := detail(classify(other), other); got != "" {
		t.Errorf("detail of a code error = %q, want none", got)
	}
}

func TestFailureTableComplete(t *testing.T) {
	for rsn, f := range failures {
		for _, s := range []string{f.title.zh, f.title.en, f.what.zh, f.what.en, f.todo.zh, f.todo.en} {
			if s == "" {
				t.Errorf("%s: missing text", rsn)
			}
		}
		if f.status < 200 || f.status > 599 {
			t.Errorf("%s: status %d", rsn, f.status)
		}
	}
	want := map[reason]string{
		reasonCodeInvalid: "access_denied", reasonNotMember: "access_denied", reasonCancelled: "access_denied",
		reasonThrottled: "temporarily_unavailable", reasonUnavailable: "temporarily_unavailable",
		reasonBadCredentials: "server_error", reasonNoPermission: "server_error",
	}
	for rsn, code := range want {
		if got := string(failures[rsn].oidcError().ErrorType); got != code {
			t.Errorf("%s → %s, want %s", rsn, got, code)
		}
	}
	if failures[reasonState].oidcError != nil {
		t.Error("a foreign state must not name an OIDC error: the request is unknown")
	}
}

func TestSanitize(t *testing.T) {
	if got := sanitize(`3<script>"x"` + string(make([]byte, 40))); got != "3scriptx" {
		t.Errorf("sanitize = %q", got)
	}
}
