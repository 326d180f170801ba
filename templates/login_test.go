package templates

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testLoginPage(lang Lang) LoginPage {
	return LoginPage{
		Lang:       lang,
		RequestID:  "req-9",
		ClientName: "Grafana",
		CancelURL:  "https://sso.example/login/cancel?authRequestID=ar1&reason=cancelled",
		AssetBase:  "https://sso.example/login/assets",
	}
}

func TestLoginPagesGolden(t *testing.T) {
	qr := func(lang Lang) QRData {
		return QRData{
			LoginPage:           testLoginPage(lang),
			FrameLoginScriptURL: "https://g.alicdn.com/dingding/h5-dingtalk-login/0.21.0/ddlogin.js",
			ClientID:            "dingq7wz3k9x2m5p8r1v",
			RedirectURI:         "https://sso.example/login/dingtalk/callback",
			Scope:               "openid",
			State:               "st-1",
			CorpID:              "ding123",
			LoginURL:            "https://login.dingtalk.com/oauth2/auth?client_id=dingq7wz3k9x2m5p8r1v&state=st-1",
			LegacyURL:           "https://oapi.dingtalk.com/connect/qrconnect?appid=dingo&state=st-1",
		}
	}
	ws := WorkspaceData{
		LoginPage:      testLoginPage(ZhCN),
		JSAPIScriptURL: "https://g.alicdn.com/dingding/dingtalk-jsapi/3.1.0/dingtalk.open.js",
		CorpID:         "ding123",
		ClientID:       "dingq7wz3k9x2m5p8r1v",
		State:          "st-2",
		Action:         "https://sso.example/login/dingtalk/workspace",
		FailURL:        "https://sso.example/login/dingtalk/jsapi-error?state=st-2",
		RetryURL:       "https://sso.example/login?authRequestID=ar1",
		FormTargets:    []string{"https://grafana.example/login/generic_oauth"},
	}
	ws.FrameAncestors = []string{"https://*.dingtalk.com"}
	wsEN := ws
	wsEN.Lang, wsEN.CancelURL = EN, ""
	corp := CorpChooserData{LoginPage: testLoginPage(EN), Corps: []CorpChoice{
		{Name: "Acme Trading Ltd.", URL: "https://sso.example/login/dingtalk/corp?state=s&corpId=c2"},
		{Name: "杭州云桥科技有限公司", URL: "https://sso.example/login/dingtalk/corp?state=s&corpId=c1"},
	}}
	corpZH := corp
	corpZH.Lang = ZhCN
	fail := LoginErrorData{LoginPage: testLoginPage(EN), Failure: LoginFailure{
		Status: http.StatusBadGateway, Title: "The app lacks a DingTalk permission",
		What: "DingTalk refused a call because the app lacks a permission.", Todo: "Ask your administrator to grant it.",
		Detail: "qyapi_get_member", RetryURL: "https://sso.example/login?authRequestID=ar1",
	}}
	failZH := LoginErrorData{LoginPage: LoginPage{Lang: ZhCN, RequestID: "req-10"}, Failure: LoginFailure{
		What: "登录链接已失效。", Todo: "请返回应用重新登录。",
	}}
	tests := []struct {
		name   string
		status int
		render func(w http.ResponseWriter) error
	}{
		{"login_qr_zh", 200, func(w http.ResponseWriter) error { return LoginQR(w, qr(ZhCN)) }},
		{"login_qr_en", 200, func(w http.ResponseWriter) error { d := qr(EN); d.LegacyURL, d.CorpID = "", ""; return LoginQR(w, d) }},
		{"login_workspace_zh", 200, func(w http.ResponseWriter) error { return LoginWorkspace(w, ws) }},
		{"login_workspace_en", 200, func(w http.ResponseWriter) error { return LoginWorkspace(w, wsEN) }},
		{"login_corp_en", 200, func(w http.ResponseWriter) error { return LoginCorpChooser(w, corp) }},
		{"login_corp_zh", 200, func(w http.ResponseWriter) error { return LoginCorpChooser(w, corpZH) }},
		{"login_error_en", http.StatusBadGateway, func(w http.ResponseWriter) error { return LoginError(w, fail) }},
		{"login_error_zh", http.StatusBadRequest, func(w http.ResponseWriter) error { return LoginError(w, failZH) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			if err := tt.render(rec); err != nil {
				t.Fatalf("render: %v", err)
			}
			if rec.Code != tt.status {
				t.Errorf("status = %d, want %d", rec.Code, tt.status)
			}
			var out bytes.Buffer
			out.WriteString("Content-Security-Policy: " + rec.Header().Get("Content-Security-Policy") + "\n")
			out.WriteString("X-Frame-Options: " + rec.Header().Get("X-Frame-Options") + "\n\n")
			out.Write(rec.Body.Bytes())
			golden := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden (run with -update to create): %v", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("output differs from %s:\n%s", golden, out.String())
			}
		})
	}
}

func TestLoginCSP(t *testing.T) {
	rec := httptest.NewRecorder()
	err := LoginWorkspace(rec, WorkspaceData{
		LoginPage:      LoginPage{Lang: EN, AssetBase: "http://127.0.0.1:1/login/assets", FrameAncestors: []string{"https://*.dingtalk.com"}},
		JSAPIScriptURL: "http://127.0.0.1:2/dingtalk.open.js",
		FailURL:        "x?state=y",
		FormTargets:    []string{"https://rp.example/cb", "https://rp.example/other", "not a url"},
	})
	if err != nil {
		t.Fatal(err)
	}
	csp := rec.Header().Get("Content-Security-Policy")
	for _, want := range []string{
		"default-src 'none'",
		"script-src 'self' http://127.0.0.1:2;",
		"connect-src 'self' http://127.0.0.1:2;",
		"form-action 'self' https://rp.example;",
		"frame-ancestors https://*.dingtalk.com;",
	} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") || strings.Contains(rec.Body.String(), "<script>") {
		t.Errorf("page allows or contains inline script: %s", csp)
	}
	if rec.Header().Get("X-Frame-Options") != "" {
		t.Error("embeddable page sends X-Frame-Options")
	}

	rec = httptest.NewRecorder()
	if err := LoginQR(rec, QRData{LoginPage: LoginPage{Lang: EN}, FrameLoginScriptURL: "https://g.alicdn.com/x/ddlogin.js", LoginURL: "https://login.dingtalk.com/oauth2/auth?a=b"}); err != nil {
		t.Fatal(err)
	}
	csp = rec.Header().Get("Content-Security-Policy")
	for _, want := range []string{"frame-src https://login.dingtalk.com https://g.alicdn.com;", "frame-ancestors 'none'", "script-src 'self' https://g.alicdn.com;"} {
		if !strings.Contains(csp, want) {
			t.Errorf("QR CSP %q lacks %q", csp, want)
		}
	}
	if rec.Header().Get("X-Frame-Options") != "DENY" {
		t.Error("QR page may be framed")
	}
}

func TestLoginAsset(t *testing.T) {
	for _, name := range []string{"qr.js", "workspace.js"} {
		b, ct, ok := LoginAsset(name)
		if !ok || len(b) == 0 || !strings.HasPrefix(ct, "text/javascript") {
			t.Errorf("LoginAsset(%q) = %d bytes, %q, %v", name, len(b), ct, ok)
		}
	}
	for _, name := range []string{"layout.html", "../templates.go", "login/qr.js", "style.css", "nope.js"} {
		if _, _, ok := LoginAsset(name); ok {
			t.Errorf("LoginAsset(%q) served", name)
		}
	}
}
