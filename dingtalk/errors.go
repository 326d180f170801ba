package dingtalk

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Kind is the coarse class of a DingTalk failure that callers act on: a login
// page shows "code expired, try again" for KindCodeInvalid, "you are not a
// member of this organisation" for KindNotMember, and so on.
//
// Kind implements error so that errors.Is works on any error this package
// returns:
//
//	if errors.Is(err, dingtalk.KindNotMember) { … }
type Kind int

// The kinds. The mapping from DingTalk codes to kinds is the kindCodes table
// in errors.go.
const (
	// KindOther is anything not classified below (parameter bugs, unknown
	// codes, unexpected replies).
	KindOther Kind = iota
	// KindCodeInvalid: the one-time user code is unknown, expired, already
	// used, or from another app or flow. Ask the browser for a fresh code.
	KindCodeInvalid
	// KindNotMember: the user is not in the organisation or outside the
	// app's visible scope.
	KindNotMember
	// KindNoPermission: the app lacks an API permission, or the caller's IP
	// is not whitelisted. An administrator must change the app's settings.
	KindNoPermission
	// KindThrottled: a rate limit, quota or IP ban. Back off (at least 1 s).
	KindThrottled
	// KindBadCredentials: app/suite key or secret, suite ticket, corp
	// authorization or request signature was rejected. A configuration
	// problem.
	KindBadCredentials
	// KindTokenInvalid: the access token is invalid or expired. Cached app
	// tokens are dropped and refetched automatically.
	KindTokenInvalid
	// KindTransient: DingTalk is busy or failing (−1, 5xx), or the network
	// failed. Retrying later may succeed.
	KindTransient
	// KindTimestamp: the signed request's timestamp was rejected (853001
	// malformed, 853002 more than one minute away from DingTalk's clock).
	// Usually the host clock is wrong: check NTP. Kept apart from
	// KindBadCredentials because the secret itself is fine.
	KindTimestamp
)

var kindNames = [...]string{
	KindOther:          "other",
	KindCodeInvalid:    "code invalid",
	KindNotMember:      "not member",
	KindNoPermission:   "no permission",
	KindThrottled:      "throttled",
	KindBadCredentials: "bad credentials",
	KindTokenInvalid:   "token invalid",
	KindTransient:      "transient",
	KindTimestamp:      "timestamp rejected",
}

// String returns the kind's name.
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Error makes Kind usable as an errors.Is target.
func (k Kind) Error() string { return "dingtalk: " + k.String() }

// kindCodes is the classification table: for each kind, the DingTalk codes
// that mean it. oapi codes (errcode or sub_code) are written as decimal
// strings, api.dingtalk.com codes as DingTalk spells them; matching ignores
// case. A code must appear under one kind only (the tests check). Edit here
// to reclassify.
var kindCodes = map[Kind][]string{
	KindCodeInvalid: {
		"40078", // temporary auth code does not exist / expired / used
		"40029", // invalid oauth_code
		"40102", // expired temporary auth code
		"41007", // invalid SSO code
		"42008", // temporary auth code invalid or used
		"40091", // missing tmp_auth_code / re-authorize (doc pages disagree)
		"invalidCode",
	},
	KindNotMember: {
		"60121", // user not found
		"50002", // outside the app's authorized range
		"40079", // no authorization info
		"invalidParameter.user.notFound",
	},
	KindNoPermission: {
		"60011", // app lacks the API permission
		"43007", // authorization required
		"60020", // IP not whitelisted
		"Forbidden.AccessDenied.AccessTokenPermissionDenied",
		"Forbidden.AccessDenied.IpNotInWhiteList",
	},
	KindThrottled: concat(codeRange(90001, 90014), []string{
		"90017",
		"90018", // per-app per-API QPS
		"90020", // monthly quota
		"Forbidden.AccessDenied.ApiCountLimitForOrg",
	}),
	KindBadCredentials: {
		// ISV suite secret, suite token, suite id, permanent code, suite
		// ticket, ISV appid, suite key/secret, suite gone.
		"40080", "40082", "40083", "40084", "40085", "40086", "40088", "40090",
		"40089",  // invalid corpid or corpsecret
		"40096",  // invalid appKey or appSecret
		"40001",  // wrong secret
		"40013",  // invalid corpid
		"41030",  // corp has not authorized the suite
		"853003", // accessKey is not an existing appId
		"853004", // signature mismatch
		"invalidClientIdOrSecret",
		"invalid.client",
		"unauthorized.client",
		"invalidSuiteKey",
		"invalidSuiteTicket",
		"invalidAuthInfo",
	},
	KindTokenInvalid: {
		"40014", // invalid access_token
		"42001", // access_token expired
		"42009", // suite token expired
		"InvalidAuthentication",
		"accesstoken.expired",
		"invalidToken",
	},
	KindTransient: {
		"-1", // system busy
		"unknownError",
		"operationTimeout",
		"server.error",
		"system.busy",
		"systemBusy",
	},
	KindTimestamp: {
		"853001", // timestamp not in milliseconds
		"853002", // timestamp more than a minute off
	},
}

// kindPrefixes classifies code families by prefix, after the exact table.
var kindPrefixes = []struct {
	prefix string
	kind   Kind
}{
	{"Forbidden.AccessDenied.QpsLimit", KindThrottled}, // …ForAppkeyAndApi, …ForApi, …ForSuitekeyAndOrgAndApi
	{"Forbidden.AccessDenied.QpmLimit", KindThrottled},
}

var codeKinds = indexKinds(kindCodes)

func indexKinds(table map[Kind][]string) map[string]Kind {
	m := make(map[string]Kind)
	for k, codes := range table {
		for _, c := range codes {
			m[strings.ToLower(c)] = k
		}
	}
	return m
}

func codeRange(from, to int) []string {
	var s []string
	for i := from; i <= to; i++ {
		s = append(s, strconv.Itoa(i))
	}
	return s
}

func concat(a, b []string) []string { return append(append([]string{}, a...), b...) }

// Classify returns the kind of a DingTalk reply from its HTTP status, code
// (oapi errcode or api.dingtalk.com code) and oapi sub_code. The sub_code
// wins over the code because errcode 88 only says "see sub_code".
func Classify(httpStatus int, code, subCode string) Kind {
	if httpStatus == 429 {
		return KindThrottled
	}
	for _, c := range []string{subCode, code} {
		if c == "" {
			continue
		}
		if k, ok := codeKinds[strings.ToLower(c)]; ok {
			return k
		}
		for _, p := range kindPrefixes {
			if strings.HasPrefix(strings.ToLower(c), strings.ToLower(p.prefix)) {
				return p.kind
			}
		}
	}
	if httpStatus >= 500 {
		return KindTransient
	}
	return KindOther
}

// APIError is a non-success reply from DingTalk: an oapi body with
// errcode ≠ 0 (HTTP 200), an api.dingtalk.com HTTP 4xx/5xx, or a body that is
// not DingTalk JSON at all (an IP-ban page, a gateway error).
//
// Its fields and Error text never contain secrets, codes or tokens: values
// the request carried are replaced by "[redacted]" in DingTalk's messages.
type APIError struct {
	// HTTPStatus is the HTTP status code (200 for oapi errors).
	HTTPStatus int
	// Code is the oapi errcode as a decimal string ("40078", "88") or the
	// api.dingtalk.com code ("invalidCode"). Empty for non-JSON bodies.
	Code string
	// SubCode is the oapi sub_code (or subCode) that accompanies errcode 88.
	SubCode string
	// Message is DingTalk's errmsg or message.
	Message string
	// SubMessage is the oapi sub_msg (or subMsg), e.g. the missing
	// permission scope for 60011.
	SubMessage string
	// RequestID is DingTalk's request id (request_id or requestid), for
	// support tickets.
	RequestID string
	// Endpoint is the method and path called, without query, e.g.
	// "POST /topapi/v2/user/get".
	Endpoint string
	// Kind is the classification of Code/SubCode/HTTPStatus.
	Kind Kind
}

// Error returns "dingtalk: <endpoint>: <kind>: …" with the codes and message.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("dingtalk: ")
	b.WriteString(e.Endpoint)
	b.WriteString(": ")
	b.WriteString(e.Kind.String())
	fmt.Fprintf(&b, ": HTTP %d", e.HTTPStatus)
	if e.Code != "" {
		b.WriteString(" code ")
		b.WriteString(e.Code)
	}
	if e.SubCode != "" {
		b.WriteString(" sub_code ")
		b.WriteString(e.SubCode)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.SubMessage != "" {
		b.WriteString(" (")
		b.WriteString(e.SubMessage)
		b.WriteString(")")
	}
	if e.RequestID != "" {
		b.WriteString(" [request_id ")
		b.WriteString(e.RequestID)
		b.WriteString("]")
	}
	return b.String()
}

// Is reports whether target is the error's Kind.
func (e *APIError) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && k == e.Kind
}

// TransportError is a request that got no HTTP reply: DNS, connect, TLS,
// timeout, or a broken connection. The request URL (which may carry secrets
// in its query) is not part of it.
type TransportError struct {
	// Endpoint is the method and path called, without query.
	Endpoint string
	// Err is the underlying network error.
	Err error
}

// Error returns "dingtalk: <endpoint>: <network error>".
func (e *TransportError) Error() string {
	return "dingtalk: " + e.Endpoint + ": " + e.Err.Error()
}

// Unwrap returns the network error.
func (e *TransportError) Unwrap() error { return e.Err }

// Is reports KindTransient for network failures (not for a cancelled
// context, which is the caller's decision).
func (e *TransportError) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && k == KindTransient && !errors.Is(e.Err, context.Canceled)
}

// KindOf returns the kind of err: the Kind of an *APIError, KindTransient
// for a *TransportError (unless cancelled), KindOther otherwise.
func KindOf(err error) Kind {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Kind
	}
	var te *TransportError
	if errors.As(err, &te) && !errors.Is(te.Err, context.Canceled) {
		return KindTransient
	}
	return KindOther
}

// IsKind reports whether err is of kind k; the same as errors.Is(err, k).
func IsKind(err error, k Kind) bool {
	if err == nil {
		return false
	}
	return KindOf(err) == k
}
