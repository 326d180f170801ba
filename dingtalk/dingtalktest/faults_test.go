package dingtalktest_test

import (
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
)

func rawGet(t *testing.T, srv *dingtalktest.Server, path string) (int, string, error) {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func TestFaults(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	getTok := "/gettoken?" + url.Values{"appkey": {dingtalktest.DemoAppKey}, "appsecret": {dingtalktest.DemoAppSecret}}.Encode()

	t.Run("once", func(t *testing.T) {
		srv.Fail(dingtalktest.EndpointGetToken, dingtalktest.Fault{Kind: dingtalktest.FaultServerError, Status: 502})
		if status, _, err := rawGet(t, srv, getTok); err != nil || status != 502 {
			t.Fatalf("faulted call: %d %v", status, err)
		}
		wantOAPI(t, get(t, srv, getTok), 0)
	})
	t.Run("times", func(t *testing.T) {
		srv.Fail(dingtalktest.EndpointGetToken, dingtalktest.Fault{Kind: dingtalktest.FaultThrottle, Times: 2})
		wantOAPI(t, get(t, srv, getTok), 90018)
		wantOAPI(t, get(t, srv, getTok), 90018)
		wantOAPI(t, get(t, srv, getTok), 0)
	})
	t.Run("always", func(t *testing.T) {
		srv.Fail(dingtalktest.EndpointGetToken, dingtalktest.Fault{Kind: dingtalktest.FaultMalformedJSON, Times: dingtalktest.Always})
		for range 3 {
			status, body, err := rawGet(t, srv, getTok)
			if err != nil || status != 200 || body == "" || body[len(body)-1] == '}' {
				t.Fatalf("malformed: %d %q %v", status, body, err)
			}
		}
		srv.ClearFaults()
		wantOAPI(t, get(t, srv, getTok), 0)
	})
	t.Run("reset", func(t *testing.T) {
		// Always: net/http retries an idempotent request once on a reused
		// connection that dies before answering.
		srv.Fail(dingtalktest.EndpointGetToken, dingtalktest.Fault{Kind: dingtalktest.FaultReset, Times: dingtalktest.Always})
		if _, _, err := rawGet(t, srv, getTok); err == nil {
			t.Fatal("reset fault: request succeeded")
		}
		srv.ClearFaults()
		wantOAPI(t, get(t, srv, getTok), 0)
	})
	t.Run("latency", func(t *testing.T) {
		srv.Fail(dingtalktest.EndpointGetToken, dingtalktest.Fault{Kind: dingtalktest.FaultLatency, Latency: 10 * time.Millisecond})
		wantOAPI(t, get(t, srv, getTok), 0)
	})
	t.Run("families", func(t *testing.T) {
		srv.Fail(dingtalktest.EndpointUserGet, dingtalktest.Fault{Kind: dingtalktest.FaultThrottle})
		wantGateway(t, topapi(t, srv, "/topapi/v2/user/get", demoToken(t, srv), map[string]string{"userid": "manager4721"}), "90002")
		srv.Fail(dingtalktest.EndpointAccessToken, dingtalktest.Fault{Kind: dingtalktest.FaultThrottle})
		wantAPIError(t, postJSON(t, srv, "/v1.0/oauth2/accessToken", map[string]string{}), 403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi")
		srv.Fail(dingtalktest.EndpointAccessToken, dingtalktest.Fault{Kind: dingtalktest.FaultServerError, Status: 500})
		wantAPIError(t, postJSON(t, srv, "/v1.0/oauth2/accessToken", map[string]string{}), 500, "unknownError")
	})
}

func TestCalls(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	tok := demoToken(t, srv)
	demoToken(t, srv)
	topapi(t, srv, "/topapi/v2/user/get", tok, map[string]string{"userid": "manager4721"})
	if got := srv.Calls(dingtalktest.EndpointGetToken); got != 2 {
		t.Errorf("Calls(GetToken) = %d, want 2", got)
	}
	if got := srv.Calls(dingtalktest.EndpointUserGet); got != 1 {
		t.Errorf("Calls(UserGet) = %d, want 1", got)
	}
	srv.Fail(dingtalktest.EndpointGetToken, dingtalktest.Fault{Kind: dingtalktest.FaultServerError})
	rawGet(t, srv, "/gettoken")
	if got := srv.Calls(dingtalktest.EndpointGetToken); got != 3 {
		t.Errorf("faulted calls are not counted: %d", got)
	}
	srv.ResetCalls()
	if got := srv.Calls(dingtalktest.EndpointGetToken); got != 0 {
		t.Errorf("after ResetCalls: %d", got)
	}
	if status, _, _ := rawGet(t, srv, "/oauth2/auth"); status != http.StatusBadRequest || srv.Calls(dingtalktest.EndpointAuthorize) != 1 {
		t.Errorf("login page not counted")
	}
}
