package resolve_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/dingbridge/dingbridge/dingtalk"
	dt "github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
	"github.com/dingbridge/dingbridge/provider/resolve"
)

func TestNewValidates(t *testing.T) {
	s := newStore(t)
	c := dingtalk.NewClient(dingtalk.Config{})
	good := demoConfig().Corps[0]
	tests := []struct {
		name string
		cfg  resolve.Config
		want []string // substrings of the error, each naming its key
	}{
		{"empty", resolve.Config{}, []string{"corps: at least one"}},
		{"seed 002 shapes", resolve.Config{Corps: []resolve.Corp{{AppKey: "short", AppSecret: "x", AgentID: 42}}},
			[]string{"corps[0].corpId: required", "corps[0].appKey: must be 20 characters, got 5",
				"corps[0].appSecret: must be 64 characters, got 1", "corps[0].agentId: must be between 10^9 and 10^10-1, got 42"}},
		{"duplicates", resolve.Config{Corps: []resolve.Corp{good, good}},
			[]string{`corps[1].corpId: "` + dt.DemoCorpID + `" is already served by corps[0]`, "corps[1].appKey: already used by corps[0]"}},
		{"language", resolve.Config{Corps: []resolve.Corp{good}, Language: "fr"}, []string{"language: must be"}},
		{"in-client sns needs a login app", resolve.Config{Corps: []resolve.Corp{func() resolve.Corp { c := good; c.InClient = "sns"; return c }()}},
			[]string{"corps[0].inClient: \"sns\" needs a login app"}},
		{"suite", resolve.Config{Suites: []resolve.Suite{{SSOSecret: "s", Corps: []resolve.SuiteCorp{{}}}}},
			[]string{"suites[0].suiteKey: required", "suites[0].suiteSecret: required", "suites[0].ssoCorpId: required",
				"suites[0].corps[0].corpId: required"}},
		{"login app corps", resolve.Config{Corps: []resolve.Corp{good}, LoginApps: []resolve.LoginApp{{AppID: "a", Corps: []string{"dingx"}}}},
			[]string{"loginApps[0].appSecret: required", `loginApps[0].corps[0]: corp "dingx" is not configured`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := resolve.New(tt.cfg, c, s, resolve.Options{})
			if err == nil {
				t.Fatal("New = nil error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("New error %q does not contain %q", err, w)
				}
			}
			for _, secret := range []string{dt.DemoAppSecret, dt.DemoSSOSecret} {
				if strings.Contains(err.Error(), secret) {
					t.Error("error contains a secret")
				}
			}
		})
	}
	if _, err := resolve.New(demoConfig(), c, s, resolve.Options{}); err != nil {
		t.Errorf("New(demo config) = %v", err)
	}
}

func TestCorpLookup(t *testing.T) {
	cfg := demoConfig()
	cfg.Corps[1].InClient = resolve.InClientSNS
	cfg.Suites = []resolve.Suite{{SuiteKey: dt.DemoSuiteKey, SuiteSecret: dt.DemoSuiteSecret, Ticket: dt.DemoSuiteTicket,
		Corps: []resolve.SuiteCorp{{CorpID: dt.DemoCorp2ID}, {CorpID: "dingthird", Name: "Bravo Ltd.", AgentID: 1234567890}}}}
	e := newEnv(t, cfg)
	var names []string
	for _, c := range e.r.Corps() {
		names = append(names, c.Name)
	}
	if want := "Acme Trading Ltd.,Bravo Ltd.," + dt.DemoCorpName; strings.Join(names, ",") != want {
		t.Errorf("Corps() names = %v, want sorted %s", names, want)
	}
	acme, ok := e.r.Corp(dt.DemoCorp2ID)
	if !ok || acme.ISV || acme.ClientID != dt.DemoApp2Key || acme.InClient != "sns" || acme.LoginAppID != dt.DemoLoginAppID || !acme.HasSSO {
		t.Errorf("Corp(corp 2) = %+v, %v; want the internal app (preferred over the suite), in-client sns", acme, ok)
	}
	third, ok := e.r.Corp("dingthird")
	if !ok || !third.ISV || third.ClientID != dt.DemoSuiteKey || third.AgentID != 1234567890 || third.HasSSO || third.InClient != "jsapi" {
		t.Errorf("Corp(suite corp) = %+v, %v", third, ok)
	}
	if _, ok := e.r.Corp("dingnope"); ok {
		t.Error("Corp(unknown) found")
	}

	lc, err := e.r.LoginConfig(dt.DemoCorpID)
	if err != nil {
		t.Fatal(err)
	}
	if lc.ClientID != dt.DemoAppKey || lc.AppKey != dt.DemoAppKey || lc.AgentID != dt.DemoAgentID || lc.Scope != "openid" {
		t.Errorf("LoginConfig(corp 1) = %+v", lc)
	}
	blob, _ := json.Marshal(lc)
	for _, secret := range []string{dt.DemoAppSecret, dt.DemoSSOSecret, dt.DemoLoginAppSecret} {
		if strings.Contains(string(blob), secret) {
			t.Errorf("LoginConfig JSON %s contains a secret", blob)
		}
	}
	if !strings.Contains(string(blob), `"corpId":"`+dt.DemoCorpID+`"`) || !strings.Contains(string(blob), `"appKey":"`+dt.DemoAppKey+`"`) {
		t.Errorf("LoginConfig JSON = %s, want corpId and appKey", blob)
	}
	lc, err = e.r.LoginConfig("dingthird")
	if err != nil || lc.ClientID != dt.DemoSuiteKey || lc.AppKey != "" || lc.Scope != "openid corpid" || !lc.ISV {
		t.Errorf("LoginConfig(suite corp) = %+v, %v", lc, err)
	}
	if _, err := e.r.LoginConfig("dingnope"); !errors.Is(err, resolve.ErrUnknownCorp) {
		t.Errorf("LoginConfig(unknown) = %v, want ErrUnknownCorp", err)
	}
}

func TestQRClient(t *testing.T) {
	two := newEnv(t, demoConfig())
	if _, _, err := two.r.QRClient(""); !errors.Is(err, resolve.ErrCorpRequired) {
		t.Errorf("QRClient(\"\") with two internal corps = %v, want ErrCorpRequired", err)
	}
	if id, scope, err := two.r.QRClient(dt.DemoCorp2ID); err != nil || id != dt.DemoApp2Key || scope {
		t.Errorf("QRClient(corp 2) = %q, %v, %v; want its app key, scope openid", id, scope, err)
	}
	if _, _, err := two.r.QRClient("dingnope"); !errors.Is(err, resolve.ErrUnknownCorp) {
		t.Errorf("QRClient(unknown) = %v, want ErrUnknownCorp", err)
	}

	one := demoConfig()
	one.Corps = one.Corps[:1]
	if id, scope, err := newEnv(t, one).r.QRClient(""); err != nil || id != dt.DemoAppKey || scope {
		t.Errorf("QRClient(\"\") with one corp = %q, %v, %v; want its app key", id, scope, err)
	}

	suite := demoConfig()
	suite.Suites = []resolve.Suite{{SuiteKey: dt.DemoSuiteKey, SuiteSecret: dt.DemoSuiteSecret, Ticket: dt.DemoSuiteTicket,
		Corps: []resolve.SuiteCorp{{CorpID: dt.DemoCorpID}, {CorpID: dt.DemoCorp2ID}}}}
	if id, scope, err := newEnv(t, suite).r.QRClient(""); err != nil || id != dt.DemoSuiteKey || !scope {
		t.Errorf("QRClient(\"\") with a suite covering every corp = %q, %v, %v; want the suite, scope openid corpid", id, scope, err)
	}
}
