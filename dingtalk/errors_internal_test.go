package dingtalk

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestKindTableHasNoConflicts(t *testing.T) {
	seen := map[string]Kind{}
	for k, codes := range kindCodes {
		for _, c := range codes {
			lc := strings.ToLower(c)
			if prev, ok := seen[lc]; ok && prev != k {
				t.Errorf("code %s listed as %v and %v", c, prev, k)
			}
			seen[lc] = k
		}
	}
}

func TestClassify(t *testing.T) {
	type row struct {
		status        int
		code, subCode string
		want          Kind
	}
	rows := []row{
		// Transient
		{200, "-1", "", KindTransient},
		{500, "unknownError", "", KindTransient},
		{503, "operationTimeout", "", KindTransient},
		{500, "server.error", "", KindTransient},
		{502, "", "", KindTransient},
		{504, "SomethingNew", "", KindTransient},
		{400, "system.busy", "", KindTransient},
		// Throttled
		{200, "88", "90002", KindThrottled},
		{200, "90002", "", KindThrottled},
		{200, "90018", "", KindThrottled},
		{200, "90020", "", KindThrottled},
		{403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", "", KindThrottled},
		{403, "Forbidden.AccessDenied.QpmLimitForAppkeyAndApi", "", KindThrottled},
		{403, "Forbidden.AccessDenied.QpsLimitForApi", "", KindThrottled},
		{403, "Forbidden.AccessDenied.QpsLimitForSuitekeyAndOrgAndApi", "", KindThrottled},
		{403, "Forbidden.AccessDenied.QpmLimitForSuitekeyAndOrgAndApi", "", KindThrottled},
		{403, "Forbidden.AccessDenied.ApiCountLimitForOrg", "", KindThrottled},
		{429, "system.busy", "", KindThrottled},
		{429, "systemBusy", "", KindThrottled},
		{429, "", "", KindThrottled},
		// CodeInvalid
		{200, "40078", "", KindCodeInvalid},
		{200, "40029", "", KindCodeInvalid},
		{200, "40102", "", KindCodeInvalid},
		{200, "41007", "", KindCodeInvalid},
		{200, "42008", "", KindCodeInvalid},
		{200, "40091", "", KindCodeInvalid},
		{400, "invalidCode", "", KindCodeInvalid},
		{409, "invalidCode", "", KindCodeInvalid},
		// NotMember
		{200, "60121", "", KindNotMember},
		{200, "50002", "", KindNotMember},
		{200, "40079", "", KindNotMember},
		{404, "invalidParameter.user.notFound", "", KindNotMember},
		// NoPermission
		{200, "88", "60011", KindNoPermission},
		{200, "60011", "", KindNoPermission},
		{200, "43007", "", KindNoPermission},
		{200, "60020", "", KindNoPermission},
		{200, "88", "60020", KindNoPermission},
		{403, "Forbidden.AccessDenied.AccessTokenPermissionDenied", "", KindNoPermission},
		{403, "Forbidden.AccessDenied.IpNotInWhiteList", "", KindNoPermission},
		// BadCredentials
		{200, "40089", "", KindBadCredentials},
		{200, "40096", "", KindBadCredentials},
		{200, "40001", "", KindBadCredentials},
		{200, "40013", "", KindBadCredentials},
		{200, "853003", "", KindBadCredentials},
		{200, "853004", "", KindBadCredentials},
		{200, "41030", "", KindBadCredentials},
		{400, "invalidClientIdOrSecret", "", KindBadCredentials},
		{400, "invalid.client", "", KindBadCredentials},
		{401, "unauthorized.client", "", KindBadCredentials},
		{400, "invalidSuiteKey", "", KindBadCredentials},
		{400, "invalidSuiteTicket", "", KindBadCredentials},
		{400, "invalidAuthInfo", "", KindBadCredentials},
		// TokenInvalid
		{200, "40014", "", KindTokenInvalid},
		{200, "88", "40014", KindTokenInvalid},
		{200, "42001", "", KindTokenInvalid},
		{200, "42009", "", KindTokenInvalid},
		{400, "InvalidAuthentication", "", KindTokenInvalid},
		{400, "accesstoken.expired", "", KindTokenInvalid},
		{400, "invalidToken", "", KindTokenInvalid},
		// Timestamp
		{200, "853001", "", KindTimestamp},
		{200, "853002", "", KindTimestamp},
		// Other
		{200, "88", "40000", KindOther},
		{200, "88", "", KindOther},
		{200, "22", "", KindOther},
		{200, "40035", "", KindOther},
		{200, "41026", "", KindOther},
		{200, "60003", "", KindOther},
		{200, "33012", "", KindOther},
		{200, "400002", "", KindOther},
		{200, "90019", "", KindOther},
		{404, "InvalidAction.NotFound", "", KindOther},
		{400, "unsupported.grant.type", "", KindOther},
		// §2.1/§4.2: the header is missing, a request bug, not a bad token.
		{400, "AuthenticationFailed.MissingParameter", "", KindOther},
		// §4.1 lists 90001–90014 and 90017 as throttling, not 90015/90016.
		{200, "90015", "", KindOther},
		{200, "90016", "", KindOther},
		// §4.1: 40087 (permanent auth code not created) is "fail", not ISV
		// configuration; 40081 is not in the reference at all.
		{200, "40087", "", KindOther},
		{200, "40081", "", KindOther},
	}
	for _, i := range []int{90001, 90002, 90003, 90004, 90005, 90006, 90007, 90008, 90009, 90010, 90011, 90012, 90013, 90014, 90017} {
		rows = append(rows, row{200, itoa(i), "", KindThrottled})
	}
	for _, i := range []int{40080, 40082, 40083, 40084, 40085, 40086, 40088, 40089, 40090} {
		rows = append(rows, row{200, itoa(i), "", KindBadCredentials})
	}
	for _, r := range rows {
		if got := Classify(r.status, r.code, r.subCode); got != r.want {
			t.Errorf("Classify(%d, %q, %q) = %v, want %v", r.status, r.code, r.subCode, got, r.want)
		}
	}
	// Every listed code is covered by the table test above.
	covered := map[string]bool{}
	for _, r := range rows {
		covered[strings.ToLower(r.code)] = true
		covered[strings.ToLower(r.subCode)] = true
	}
	for _, codes := range kindCodes {
		for _, c := range codes {
			if !covered[strings.ToLower(c)] {
				t.Errorf("code %s is in kindCodes but not in TestClassify", c)
			}
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestBackoff(t *testing.T) {
	c := NewClient(Config{})
	for attempt := 1; attempt <= 6; attempt++ {
		d := c.backoff(attempt, false)
		want := min(250*time.Millisecond<<(attempt-1), 4*time.Second)
		if d < want/2 || d > want {
			t.Errorf("backoff(%d) = %v, want in [%v, %v]", attempt, d, want/2, want)
		}
		if th := c.backoff(attempt, true); th < time.Second {
			t.Errorf("throttled backoff(%d) = %v, want ≥ 1s", attempt, th)
		}
	}
}
