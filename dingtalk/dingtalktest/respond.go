package dingtalktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("dingtalktest: encode response: %v", err))
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// oapiError answers an oapi failure: HTTP 200, errcode at the top level.
func oapiError(w http.ResponseWriter, errcode int, errmsg string) {
	writeJSON(w, http.StatusOK, map[string]any{"errcode": errcode, "errmsg": errmsg})
}

// topError answers a /topapi failure, which also carries request_id.
func topError(w http.ResponseWriter, errcode int, errmsg string) {
	writeJSON(w, http.StatusOK, map[string]any{"errcode": errcode, "errmsg": errmsg, "request_id": requestID()})
}

// gatewayError answers the TOP gateway's errcode 88 with a sub code.
func gatewayError(w http.ResponseWriter, subCode, subMsg string) {
	writeJSON(w, http.StatusOK, map[string]any{
		"errcode":    88,
		"errmsg":     fmt.Sprintf("ding talk error[subcode=%s,submsg=%s]", subCode, subMsg),
		"sub_code":   subCode,
		"sub_msg":    subMsg,
		"request_id": requestID(),
	})
}

// topResult answers a /topapi success: result plus request_id.
func topResult(w http.ResponseWriter, result any) {
	writeJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok", "result": result, "request_id": requestID()})
}

// apiError answers an api.dingtalk.com failure.
func apiError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]string{"code": code, "message": message, "requestid": strings.ToUpper(requestID())})
}

// params is a decoded oapi request body; values keep their JSON text for
// numbers so ids stay exact.
type params map[string]string

func (p params) int64(k string) (int64, bool) {
	v, ok := p[k]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// oapiBody reads an oapi POST body, JSON or form-encoded.
func oapiBody(r *http.Request) (params, error) {
	p := params{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" {
		if err := r.ParseForm(); err != nil {
			return nil, fmt.Errorf("parse form: %w", err)
		}
		for k, v := range r.PostForm {
			p[k] = v[0]
		}
		return p, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return p, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decode body: %w", err)
	}
	for k, raw := range m {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			p[k] = s
		} else {
			p[k] = string(raw)
		}
	}
	return p, nil
}

// apiBody decodes a v1.0 JSON body into v, answering the gateway's error and
// returning false when it is not JSON.
func apiBody(w http.ResponseWriter, r *http.Request, v any) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if ct != "application/json" || len(bytes.TrimSpace(b)) == 0 {
		apiError(w, http.StatusBadRequest, "MissingBody", "body is mandatory for this action.")
		return false
	}
	if err := exactJSON(b, v); err != nil {
		apiError(w, http.StatusBadRequest, "InvalidParameter", "request body is not valid JSON")
		return false
	}
	return true
}

// exactJSON decodes a JSON object into the struct v, matching keys to the
// fields' json names exactly. encoding/json alone matches case-insensitively,
// which would accept "corpId" for E14's "corpid"; DingTalk treats a key
// spelled differently as absent.
func exactJSON(b []byte, v any) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	rv := reflect.ValueOf(v).Elem()
	t := rv.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		raw, ok := m[name]
		if !ok || name == "" || name == "-" {
			continue
		}
		if err := json.Unmarshal(raw, rv.Field(i).Addr().Interface()); err != nil {
			return err
		}
	}
	return nil
}

// Token checks shared by endpoint families.

// oapiToken resolves the access_token query parameter of an oapi call. On
// failure it answers and returns false.
func (s *Simulator) oapiToken(w http.ResponseWriter, r *http.Request, kinds ...tokenKind) (token, bool) {
	v := r.URL.Query().Get("access_token")
	if v == "" {
		gatewayError(w, "40000", "access_token is blank")
		return token{}, false
	}
	t, st := s.lookupToken(v)
	switch {
	case st == tokenExpired:
		oapiError(w, 42001, "access_token超时")
		return token{}, false
	case st == tokenUnknown || !kindIn(t.kind, kinds):
		gatewayError(w, "40014", "不合法的access_token")
		return token{}, false
	}
	return t, true
}

// apiToken resolves the x-acs-dingtalk-access-token header of a v1.0 call.
func (s *Simulator) apiToken(w http.ResponseWriter, r *http.Request, kinds ...tokenKind) (token, bool) {
	v := r.Header.Get("x-acs-dingtalk-access-token")
	if v == "" {
		apiError(w, http.StatusBadRequest, "AuthenticationFailed.MissingParameter",
			"x-acs-dingtalk-access-token is mandatory for this action.")
		return token{}, false
	}
	t, st := s.lookupToken(v)
	if st != tokenOK || !kindIn(t.kind, kinds) {
		apiError(w, http.StatusBadRequest, "InvalidAuthentication", "不合法的access_token")
		return token{}, false
	}
	return t, true
}

func kindIn(k tokenKind, kinds []tokenKind) bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}

// missingScope answers the gateway's 88/60011 naming the required scope.
func missingScope(w http.ResponseWriter, perm string) {
	gatewayError(w, "60011", fmt.Sprintf("应用尚未开通所需的权限：[%s]，点击链接申请并开通即可：https://open-dev.dingtalk.com/appscope/apply {requiredScopes=[%s]}", perm, perm))
}
