package dingtalktest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
)

// fixedClock is a settable clock for expiry tests.
type fixedClock struct{ t time.Time }

func (c *fixedClock) now() time.Time { return c.t }

func newServer(t *testing.T, opts ...dingtalktest.Option) *dingtalktest.Server {
	t.Helper()
	srv := dingtalktest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// reply is a decoded JSON response.
type reply struct {
	status int
	body   map[string]any
	raw    []byte
}

func (r reply) str(path ...string) string {
	v := r.get(path...)
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case nil:
		return ""
	case bool:
		return strconv.FormatBool(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func (r reply) has(path ...string) bool { return r.get(path...) != nil }

func (r reply) get(path ...string) any {
	var v any = r.body
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func do(t *testing.T, srv *dingtalktest.Server, req *http.Request) reply {
	t.Helper()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	r := reply{status: resp.StatusCode, raw: raw}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&r.body); err != nil {
		t.Fatalf("%s %s: status %d, body %q is not JSON: %v", req.Method, req.URL.Path, resp.StatusCode, raw, err)
	}
	return r
}

// postJSON posts body as JSON to path (with query) and decodes the answer.
func postJSON(t *testing.T, srv *dingtalktest.Server, path string, body any, header ...string) reply {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(t, srv, req)
}

func get(t *testing.T, srv *dingtalktest.Server, path string, header ...string) reply {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(t, srv, req)
}

func wantOAPI(t *testing.T, r reply, errcode int) {
	t.Helper()
	if r.status != http.StatusOK || r.str("errcode") != strconv.Itoa(errcode) {
		t.Fatalf("got HTTP %d %s, want HTTP 200 errcode %d", r.status, r.raw, errcode)
	}
}

func wantGateway(t *testing.T, r reply, subCode string) {
	t.Helper()
	wantOAPI(t, r, 88)
	if r.str("sub_code") != subCode {
		t.Fatalf("sub_code = %q (%s), want %q", r.str("sub_code"), r.raw, subCode)
	}
}

func wantAPIError(t *testing.T, r reply, status int, code string) {
	t.Helper()
	if r.status != status || r.str("code") != code || !r.has("requestid") || !r.has("message") {
		t.Fatalf("got HTTP %d %s, want HTTP %d code %q with message and requestid", r.status, r.raw, status, code)
	}
}

// appToken fetches an internal app token with E4.
func appToken(t *testing.T, srv *dingtalktest.Server, key, secret string) string {
	t.Helper()
	r := get(t, srv, "/gettoken?"+url.Values{"appkey": {key}, "appsecret": {secret}}.Encode())
	wantOAPI(t, r, 0)
	return r.str("access_token")
}

func demoToken(t *testing.T, srv *dingtalktest.Server) string {
	return appToken(t, srv, dingtalktest.DemoAppKey, dingtalktest.DemoAppSecret)
}

// topapi posts body to a /topapi path with an access token.
func topapi(t *testing.T, srv *dingtalktest.Server, path, token string, body any) reply {
	t.Helper()
	return postJSON(t, srv, path+"?access_token="+url.QueryEscape(token), body)
}
