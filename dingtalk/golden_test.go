package dingtalk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.json from the client's output")

// Credentials used by the golden cases. None of them may appear in an error.
const (
	appKey      = "dingappkey0000000001"
	appSecret   = "sec-app-0123456789"
	corpID      = "ding9f50b15bccd16741"
	suiteKey    = "suiteabcdefghijklmno"
	suiteSecret = "sec-suite-9876543210"
	suiteTicket = "ticket-5h-abcdef"
	ssoSecret   = "sec-sso-1122334455"
	userCode    = "code-auth-8842"
)

// Seeded tokens: handles that need a token find these in the store, so each
// golden case makes exactly the one request under test.
var seeded = map[string]string{
	"dingtalk:app:v1:" + appKey:                       "tok-app",
	"dingtalk:corp:v1:" + suiteKey + ":" + corpID:     "tok-corp",
	"dingtalk:suite:v1:" + suiteKey:                   "tok-suite",
	"dingtalk:sso:v1:" + corpID:                       "tok-sso",
	"dingtalk:sso:legacy:" + corpID:                   "tok-sso-legacy",
	"dingtalk:app:unified:" + suiteKey + ":" + corpID: "tok-unified",
	"dingtalk:corp:legacy:" + suiteKey + ":" + corpID: "tok-corp-legacy",
	"dingtalk:suite:legacy:" + suiteKey:               "tok-suite-legacy",
	"dingtalk:app:gettoken:" + appKey:                 "tok-app-legacy",
	"dingtalk:app:unified:" + appKey + ":" + corpID:   "tok-app-unified",
}

// wantRequest is the exact request DingTalk expects.
type wantRequest struct {
	method string
	path   string
	query  url.Values // exact parameter set (nil: none)
	raw    string     // if set, the exact raw query (signature encoding)
	header string     // x-acs-dingtalk-access-token value; "" must be absent
	body   string     // JSON body, compared as JSON; "" means no body
}

type goldenCase struct {
	name   string
	want   wantRequest
	status int    // reply status, default 200
	reply  string // testdata file served as the reply
	now    int64  // Unix ms of the fake clock, default 1546084445901
	store  bool   // seed the token store
	// retried marks a rejected-token reply: the client fetches a new token
	// and repeats the call once, so the server sees three requests.
	retried bool
	call    func(ctx context.Context, c *dingtalk.Client) (any, error)

	// For error replies:
	kind     dingtalk.Kind
	code     string
	subCode  string
	hasReqID bool
}

func app(c *dingtalk.Client, m dingtalk.TokenMethod) *dingtalk.AppClient {
	return c.App(dingtalk.App{AppKey: appKey, AppSecret: appSecret, CorpID: corpID, AgentID: 2198745632, TokenMethod: m})
}

func suite(c *dingtalk.Client, m dingtalk.TokenMethod) *dingtalk.SuiteClient {
	return c.Suite(dingtalk.Suite{SuiteKey: suiteKey, SuiteSecret: suiteSecret, TokenMethod: m},
		func(context.Context) (string, error) { return suiteTicket, nil })
}

func sso(c *dingtalk.Client, m dingtalk.TokenMethod) *dingtalk.SSOClient {
	return c.SSO(dingtalk.SSO{CorpID: corpID, SSOSecret: ssoSecret, TokenMethod: m})
}

func q(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) { runGolden(t, tc) })
	}
}

func runGolden(t *testing.T, tc goldenCase) {
	reply, err := os.ReadFile(filepath.Join("testdata", tc.reply))
	if err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		if tc.retried && n == 2 {
			// The token fetch between the rejected call and its repetition.
			w.Header().Set("Content-Type", "application/json;charset=utf-8")
			io.WriteString(w, `{"accessToken":"tok-fresh","expireIn":7200}`)
			return
		}
		if n == 1 {
			checkRequest(t, tc.want, r)
		} else if r.URL.Path != tc.want.path {
			t.Errorf("repeated call path = %q, want %q", r.URL.Path, tc.want.path)
		}
		if strings.HasSuffix(tc.reply, ".html") {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		} else {
			w.Header().Set("Content-Type", "application/json;charset=utf-8")
		}
		w.WriteHeader(cmpOr(tc.status, http.StatusOK))
		w.Write(reply)
	}))
	defer srv.Close()

	now := time.UnixMilli(cmpOr(tc.now, 1546084445901))
	store := newMemStore()
	if tc.store {
		for k, v := range seeded {
			store.PutToken(t.Context(), k, v, now.Add(time.Hour))
		}
	}
	c := dingtalk.NewClient(dingtalk.Config{
		Endpoints:  dingtalk.Endpoints{OAPI: srv.URL, API: srv.URL, Login: srv.URL},
		Retry:      dingtalk.Retry{Attempts: 1},
		TokenStore: store,
		Now:        func() time.Time { return now },
	})
	got, err := tc.call(t.Context(), c)
	wantHits := int32(1)
	if tc.retried {
		wantHits = 3
	}
	if n := hits.Load(); n != wantHits {
		t.Errorf("server saw %d requests, want %d", n, wantHits)
	}
	if tc.kind != dingtalk.KindOther || tc.code != "" {
		checkAPIError(t, tc, err)
		return
	}
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	compareGolden(t, tc.name, got)
}

func checkRequest(t *testing.T, want wantRequest, r *http.Request) {
	t.Helper()
	if r.Method != want.method || r.URL.Path != want.path {
		t.Errorf("request %s %s, want %s %s", r.Method, r.URL.Path, want.method, want.path)
	}
	if want.raw != "" && r.URL.RawQuery != want.raw {
		t.Errorf("raw query\n got %s\nwant %s", r.URL.RawQuery, want.raw)
	}
	gotQ := r.URL.Query()
	if len(gotQ) == 0 {
		gotQ = nil
	}
	if !reflect.DeepEqual(gotQ, want.query) {
		t.Errorf("query = %v, want %v", gotQ, want.query)
	}
	if h := r.Header.Get("x-acs-dingtalk-access-token"); h != want.header {
		t.Errorf("x-acs-dingtalk-access-token = %q, want %q", h, want.header)
	}
	body, _ := io.ReadAll(r.Body)
	if want.body == "" {
		if len(body) != 0 {
			t.Errorf("unexpected body %s", body)
		}
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var gotJSON, wantJSON any
	if err := json.Unmarshal(body, &gotJSON); err != nil {
		t.Fatalf("body is not JSON: %s", body)
	}
	if err := json.Unmarshal([]byte(want.body), &wantJSON); err != nil {
		t.Fatalf("bad want body: %v", err)
	}
	if !reflect.DeepEqual(gotJSON, wantJSON) {
		t.Errorf("body\n got %s\nwant %s", body, want.body)
	}
}

func checkAPIError(t *testing.T, tc goldenCase, err error) {
	t.Helper()
	var ae *dingtalk.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v (%T), want *APIError", err, err)
	}
	if ae.Kind != tc.kind || !errors.Is(err, tc.kind) || !dingtalk.IsKind(err, tc.kind) {
		t.Errorf("Kind = %v, want %v", ae.Kind, tc.kind)
	}
	if ae.Code != tc.code || ae.SubCode != tc.subCode {
		t.Errorf("Code, SubCode = %q, %q; want %q, %q", ae.Code, ae.SubCode, tc.code, tc.subCode)
	}
	if ae.HTTPStatus != cmpOr(tc.status, 200) {
		t.Errorf("HTTPStatus = %d, want %d", ae.HTTPStatus, cmpOr(tc.status, 200))
	}
	if tc.hasReqID && ae.RequestID == "" {
		t.Errorf("RequestID empty")
	}
	if want := tc.want.method + " " + tc.want.path; ae.Endpoint != want {
		t.Errorf("Endpoint = %q, want %q", ae.Endpoint, want)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "dingtalk: ") {
		t.Errorf("Error() = %q, want prefix dingtalk:", msg)
	}
	for _, secret := range append([]string{appSecret, suiteSecret, suiteTicket, ssoSecret, userCode}, mapValues(seeded)...) {
		if strings.Contains(msg, secret) {
			t.Errorf("Error() %q contains secret %q", msg, secret)
		}
	}
}

func compareGolden(t *testing.T, name string, got any) {
	t.Helper()
	out, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, '\n')
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./dingtalk -update and review)", err)
	}
	if !bytes.Equal(out, want) {
		t.Errorf("decoded reply differs from %s\n got %s\nwant %s", path, out, want)
	}
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func mapValues(m map[string]string) []string {
	var vs []string
	for _, v := range m {
		vs = append(vs, v)
	}
	return vs
}
