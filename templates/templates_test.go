package templates

import (
	"bytes"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestPagesGolden(t *testing.T) {
	tests := []struct {
		name   string
		status int
		render func(w http.ResponseWriter) error
	}{
		{"error_zh", http.StatusBadRequest, func(w http.ResponseWriter) error {
			return Error(w, ErrorData{Lang: ZhCN, Kind: ErrorInvalidClient, RequestID: "req-1"})
		}},
		{"error_en", http.StatusInternalServerError, func(w http.ResponseWriter) error {
			return Error(w, ErrorData{Lang: EN, Status: http.StatusInternalServerError, Kind: ErrorInternal, RequestID: "req-2"})
		}},
		{"logged_out_en", http.StatusOK, func(w http.ResponseWriter) error {
			return LoggedOut(w, LoggedOutData{Lang: EN})
		}},
		{"logged_out_zh", http.StatusOK, func(w http.ResponseWriter) error {
			return LoggedOut(w, LoggedOutData{Lang: ZhCN, RequestID: "req-3"})
		}},
		{"login_unavailable_en", http.StatusServiceUnavailable, func(w http.ResponseWriter) error {
			return LoginUnavailable(w, LoginUnavailableData{Lang: EN, RequestID: "req-4"})
		}},
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
			if got := rec.Header().Get("Content-Security-Policy"); got != CSP() {
				t.Errorf("Content-Security-Policy = %q, want %q", got, CSP())
			}
			if got := rec.Header().Get("Content-Type"); got != "text/html; charset=utf-8" {
				t.Errorf("Content-Type = %q", got)
			}
			golden := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(golden, rec.Body.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden (run with -update to create): %v", err)
			}
			if !bytes.Equal(rec.Body.Bytes(), want) {
				t.Errorf("body differs from %s:\n%s", golden, rec.Body.String())
			}
		})
	}
}

func TestErrorUnknownKindFallsBack(t *testing.T) {
	rec := httptest.NewRecorder()
	if err := Error(rec, ErrorData{Lang: EN, Kind: "no-such-kind"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rec.Body.String(), catalog[EN]["error_bad_request"]) {
		t.Errorf("unknown kind did not fall back to the bad request message:\n%s", rec.Body.String())
	}
}

func TestCSPHashesStyle(t *testing.T) {
	if strings.Contains(CSP(), "unsafe-inline") || !strings.Contains(CSP(), styleHash()) {
		t.Errorf("CSP %q does not pin the stylesheet hash", CSP())
	}
	if !strings.Contains(CSP(), "default-src 'none'") {
		t.Errorf("CSP %q is not default-deny", CSP())
	}
}

func TestNegotiate(t *testing.T) {
	tests := []struct {
		ui     []string
		accept string
		want   Lang
	}{
		{nil, "", DefaultLang},
		{[]string{"en-US"}, "zh-CN", EN},
		{[]string{"fr", "zh-TW"}, "en", ZhCN},
		{[]string{"fr"}, "en-GB,en;q=0.9", EN},
		{nil, "fr;q=1, zh;q=0.5, en;q=0.8", EN},
		{nil, "de, ZH-cn;q=0.3", ZhCN},
		{nil, "en;q=0, zh;q=0.1", ZhCN},
		{nil, "fr", DefaultLang},
	}
	for _, tt := range tests {
		if got := Negotiate(tt.ui, tt.accept); got != tt.want {
			t.Errorf("Negotiate(%q, %q) = %q, want %q", tt.ui, tt.accept, got, tt.want)
		}
	}
}
