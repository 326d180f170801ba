package dingtalktest

import (
	"fmt"
	"net"
	"net/http"
	"time"
)

// Endpoint names one simulated endpoint for Fail and Calls. The value is the
// method and path as DingTalk documents it.
type Endpoint string

// Endpoints, numbered as in the DingTalk API reference.
const (
	EndpointAuthorize        Endpoint = "GET /oauth2/auth"                            // E1
	EndpointUserAccessToken  Endpoint = "POST /v1.0/oauth2/userAccessToken"           // E2
	EndpointContactUser      Endpoint = "GET /v1.0/contact/users/{unionId}"           // E3
	EndpointGetToken         Endpoint = "GET /gettoken"                               // E4
	EndpointAccessToken      Endpoint = "POST /v1.0/oauth2/accessToken"               // E5
	EndpointCorpToken        Endpoint = "POST /v1.0/oauth2/{corpId}/token"            // E6
	EndpointGetUserInfo      Endpoint = "POST /topapi/v2/user/getuserinfo"            // E7
	EndpointUserGet          Endpoint = "POST /topapi/v2/user/get"                    // E8
	EndpointGetByUnionID     Endpoint = "POST /topapi/user/getbyunionid"              // E9
	EndpointQRConnect        Endpoint = "GET /connect/qrconnect"                      // E10
	EndpointSNSAuthorize     Endpoint = "GET /connect/oauth2/sns_authorize"           // E11
	EndpointSNSUserInfo      Endpoint = "POST /sns/getuserinfo_bycode"                // E12
	EndpointSSOGetToken      Endpoint = "GET /sso/gettoken"                           // E13
	EndpointSSOAccessToken   Endpoint = "POST /v1.0/oauth2/ssoAccessToken"            // E14
	EndpointSSOGetUserInfo   Endpoint = "GET /sso/getuserinfo"                        // E15
	EndpointSSOUserInfo      Endpoint = "GET /v1.0/oauth2/ssoUserInfo"                // E16
	EndpointGetSuiteToken    Endpoint = "POST /service/get_suite_token"               // E17
	EndpointSuiteAccessToken Endpoint = "POST /v1.0/oauth2/suiteAccessToken"          // E18
	EndpointGetCorpToken     Endpoint = "POST /service/get_corp_token"                // E19
	EndpointCorpAccessToken  Endpoint = "POST /v1.0/oauth2/corpAccessToken"           // E20
	EndpointAuthInfo         Endpoint = "GET /v1.0/oauth2/apps/authInfo"              // E21
	EndpointDepartmentGet    Endpoint = "POST /topapi/v2/department/get"              // E22
	EndpointListParentByUser Endpoint = "POST /topapi/v2/department/listparentbyuser" // E23
	EndpointListParentByDept Endpoint = "POST /topapi/v2/department/listparentbydept" // E24
	EndpointListSub          Endpoint = "POST /topapi/v2/department/listsub"          // E25
	EndpointListSubID        Endpoint = "POST /topapi/v2/department/listsubid"        // E25
	EndpointJSAPIAuthCode    Endpoint = "POST /__sim/jsapi/authcode"                  // dd shim
	EndpointQRCodeFrame      Endpoint = "GET /login/qrcode.htm"                       // legacy DDLogin iframe (§5.7)
)

// FaultKind selects what an injected fault does.
type FaultKind int

const (
	// FaultLatency only delays the answer by Fault.Latency.
	FaultLatency FaultKind = iota
	// FaultServerError answers with HTTP Fault.Status (default 503) and the
	// body the gateway sends for it.
	FaultServerError
	// FaultThrottle answers with the rate-limit signal of the endpoint's
	// family: oapi errcode 90018, topapi errcode 88 + sub_code 90002,
	// api.dingtalk.com 403 Forbidden.AccessDenied.QpsLimitForAppkeyAndApi.
	FaultThrottle
	// FaultMalformedJSON answers HTTP 200 with a truncated JSON body.
	FaultMalformedJSON
	// FaultReset closes the connection with a TCP reset before answering.
	FaultReset
)

// Always makes a fault apply to every call until ClearFaults.
const Always = -1

// Fault is an injected failure. Latency applies in addition to Kind.
type Fault struct {
	Kind    FaultKind
	Latency time.Duration
	Status  int // FaultServerError only
	// Times is how many calls the fault hits: 0 means once, Always forever.
	Times int
}

type faultState struct {
	f         Fault
	remaining int // -1 forever
}

type family int

const (
	famOAPI   family = iota // oapi, errcode at top level
	famTopAPI               // oapi /topapi, gateway 88 envelope
	famAPI                  // api.dingtalk.com v1.0
	famPage                 // browser pages and scripts
)

// Fail injects f into the next calls of ep, replacing any earlier fault.
func (s *Simulator) Fail(ep Endpoint, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := f.Times
	switch {
	case n == 0:
		n = 1
	case n < 0:
		n = -1
	}
	s.faults[ep] = &faultState{f: f, remaining: n}
}

// ClearFaults removes every injected fault.
func (s *Simulator) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.faults)
}

// Calls reports how many requests reached ep, faulted ones included.
func (s *Simulator) Calls(ep Endpoint) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[ep]
}

// ResetCalls sets every counter to zero.
func (s *Simulator) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.calls)
}

// endpoint wraps h with the call counter and fault injection of ep.
func (s *Simulator) endpoint(ep Endpoint, fam family, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.calls[ep]++
		var f *Fault
		if st, ok := s.faults[ep]; ok && st.remaining != 0 {
			ff := st.f
			f = &ff
			if st.remaining > 0 {
				st.remaining--
			}
			if st.remaining == 0 {
				delete(s.faults, ep)
			}
		}
		s.mu.Unlock()
		if f != nil && injectFault(w, r, fam, *f) {
			return
		}
		h(w, r)
	}
}

// injectFault applies f and reports whether the request has been answered.
func injectFault(w http.ResponseWriter, r *http.Request, fam family, f Fault) bool {
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return true
		}
	}
	switch f.Kind {
	case FaultServerError:
		serverError(w, fam, f.Status)
	case FaultThrottle:
		throttle(w, fam)
	case FaultMalformedJSON:
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, `{"errcode":0,"errmsg":"ok","access_token":"`)
	case FaultReset:
		resetConn(w)
	default:
		return false
	}
	return true
}

func serverError(w http.ResponseWriter, fam family, status int) {
	if status == 0 {
		status = http.StatusServiceUnavailable
	}
	if fam == famAPI && (status == 500 || status == 503) {
		code, msg := "unknownError", "unknown error"
		if status == 503 {
			code, msg = "operationTimeout", "operation timeout"
		}
		apiError(w, status, code, msg)
		return
	}
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<html><head><title>%d %s</title></head><body><center><h1>%d %s</h1></center><hr><center>Tengine</center></body></html>\n",
		status, http.StatusText(status), status, http.StatusText(status))
}

func throttle(w http.ResponseWriter, fam family) {
	switch fam {
	case famAPI:
		apiError(w, http.StatusForbidden, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi",
			"app's qps limit for this api has been exceeded")
	case famTopAPI:
		gatewayError(w, "90002", "服务器当前调用量超过限流阈值，请稍后重试")
	case famOAPI:
		oapiError(w, 90018, "当前企业或应用调用该接口的频率超过限制，请稍后重试")
	default:
		http.Error(w, "too many requests", http.StatusTooManyRequests)
	}
}

// resetConn aborts the connection with a TCP RST.
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}
