package dingtalktest_test

import (
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
)

func TestSignReferenceVectors(t *testing.T) {
	t.Parallel()
	if got := dingtalktest.Sign("testappSecret", "1546084445901"); got != "HCbG3xNE3vzhO+u7qCUL1jS5hsu2n5r2cFhnTrtyDAE=" {
		t.Errorf("E12 signature = %s", got)
	}
	if got := dingtalktest.Sign("testSuiteSecret", "1527130370219\nTestSuiteTicket"); got != "5PMX0+4w0TR03H51PTcORqTVqeQPOxuuuy1hk2aFKKg=" {
		t.Errorf("E19 signature = %s", got)
	}
}

// snsQuery builds the signed E12 query for ts.
func snsQuery(key, secret string, ts time.Time) url.Values {
	s := strconv.FormatInt(ts.UnixMilli(), 10)
	return url.Values{"accessKey": {key}, "timestamp": {s}, "signature": {dingtalktest.Sign(secret, s)}}
}

func TestSNSUserInfo(t *testing.T) {
	t.Parallel()
	clk := &fixedClock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	srv := newServer(t, dingtalktest.WithClock(clk.now))
	key, secret := dingtalktest.DemoLoginAppID, dingtalktest.DemoLoginAppSecret
	call := func(q url.Values, code string) reply {
		return postJSON(t, srv, "/sns/getuserinfo_bycode?"+q.Encode(), map[string]string{"tmp_auth_code": code})
	}
	code := srv.IssueCode(dingtalktest.CodeSNS, key, dingtalktest.DemoCorp2ID, "bob.smith")
	r := call(snsQuery(key, secret, clk.t), code)
	wantOAPI(t, r, 0)
	if r.str("user_info", "nick") != "Bob" || r.str("user_info", "unionid") != "Bs2mKt6hYu8jNb3vCx5zLq7wPeiEiE" ||
		r.str("user_info", "openid") == "" || !r.has("user_info", "main_org_auth_high_level") {
		t.Fatalf("E12 = %s", r.raw)
	}
	wantOAPI(t, call(snsQuery(key, secret, clk.t), code), 40078) // reused

	fresh := func() string { return srv.IssueCode(dingtalktest.CodeSNS, key, dingtalktest.DemoCorpID, "manager4721") }
	t.Run("window", func(t *testing.T) {
		wantOAPI(t, call(snsQuery(key, secret, clk.t.Add(-61*time.Second)), fresh()), 853002)
		wantOAPI(t, call(snsQuery(key, secret, clk.t.Add(61*time.Second)), fresh()), 853002)
		wantOAPI(t, call(snsQuery(key, secret, clk.t.Add(-59*time.Second)), fresh()), 0)
	})
	t.Run("format", func(t *testing.T) {
		q := snsQuery(key, secret, clk.t)
		q.Set("timestamp", strconv.FormatInt(clk.t.Unix(), 10)) // seconds, not ms
		wantOAPI(t, call(q, fresh()), 853001)
		q.Set("timestamp", "yesterday")
		wantOAPI(t, call(q, fresh()), 853001)
	})
	t.Run("access key", func(t *testing.T) {
		wantOAPI(t, call(snsQuery("dingunknown", secret, clk.t), fresh()), 853003)
	})
	t.Run("signature", func(t *testing.T) {
		wantOAPI(t, call(snsQuery(key, "wrong secret", clk.t), fresh()), 853004)
		// Double URL-encoding leaves %2B / %3D in the decoded value.
		q := snsQuery(key, secret, clk.t)
		q.Set("signature", url.QueryEscape(q.Get("signature")))
		wantOAPI(t, call(q, fresh()), 853004)
	})
	t.Run("missing code", func(t *testing.T) {
		wantOAPI(t, call(snsQuery(key, secret, clk.t), ""), 41026)
	})
	t.Run("other kinds", func(t *testing.T) {
		j := srv.IssueCode(dingtalktest.CodeJSAPI, dingtalktest.DemoAppKey, dingtalktest.DemoCorpID, "manager4721")
		wantOAPI(t, call(snsQuery(key, secret, clk.t), j), 40078)
		// An sns code of another login app.
		other := srv.IssueCode(dingtalktest.CodeSNS, dingtalktest.DemoAppKey, dingtalktest.DemoCorpID, "manager4721")
		wantOAPI(t, call(snsQuery(key, secret, clk.t), other), 40078)
		wantOAPI(t, call(snsQuery(dingtalktest.DemoAppKey, dingtalktest.DemoAppSecret, clk.t), other), 0)
	})
	t.Run("expired", func(t *testing.T) {
		c := fresh()
		clk2 := clk.t.Add(dingtalktest.CodeTTL + time.Second)
		srv.SetNow(func() time.Time { return clk2 })
		defer srv.SetNow(clk.now)
		wantOAPI(t, call(snsQuery(key, secret, clk2), c), 40078)
	})
}

func TestOpenIDPerApp(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	now := time.Now()
	id := func(key, secret string) string {
		c := srv.IssueCode(dingtalktest.CodeSNS, key, dingtalktest.DemoCorpID, "alice.wang")
		r := postJSON(t, srv, "/sns/getuserinfo_bycode?"+snsQuery(key, secret, now).Encode(), map[string]string{"tmp_auth_code": c})
		wantOAPI(t, r, 0)
		return r.str("user_info", "openid")
	}
	a, b := id(dingtalktest.DemoLoginAppID, dingtalktest.DemoLoginAppSecret), id(dingtalktest.DemoAppKey, dingtalktest.DemoAppSecret)
	if a == b || a != id(dingtalktest.DemoLoginAppID, dingtalktest.DemoLoginAppSecret) {
		t.Errorf("openids %q, %q: want stable per app and different across apps", a, b)
	}
}
