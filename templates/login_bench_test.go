package templates

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkLoginQR renders the QR page of a typical login, which every
// browser login outside the DingTalk client is served: its "back to the
// application" link carries the request's sealed handle.
func BenchmarkLoginQR(b *testing.B) {
	handle := strings.Repeat("MTc2MzcxOTEyNnxh", 50)
	d := QRData{
		LoginPage: LoginPage{
			Lang: ZhCN, RequestID: "3sL75GcuybX2JUft", ClientName: "Grafana",
			CancelURL: "https://sso.example/dingbridge/login/cancel?authRequestID=" + handle + "&reason=cancelled",
			AssetBase: "https://sso.example/dingbridge/login/assets",
		},
		FrameLoginScriptURL: "https://g.alicdn.com/dingding/h5-dingtalk-login/0.21.0/ddlogin.js",
		ClientID:            "dingq7wz3k9x2m5p8r1v",
		RedirectURI:         "https://sso.example/dingbridge/login/dingtalk/callback",
		Scope:               "openid", State: "xr6zX7BCQl9J8Rj30L_Jt5Lp8TvnsXHw",
		LoginURL: "https://login.dingtalk.com/oauth2/auth?client_id=dingq7wz3k9x2m5p8r1v&prompt=consent&redirect_uri=https%3A%2F%2Fsso.example%2Fdingbridge%2Flogin%2Fdingtalk%2Fcallback&response_type=code&scope=openid&state=xr6zX7BCQl9J8Rj30L_Jt5Lp8TvnsXHw",
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := LoginQR(httptest.NewRecorder(), d); err != nil {
			b.Fatal(err)
		}
	}
}
