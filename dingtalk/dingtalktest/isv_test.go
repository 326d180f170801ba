package dingtalktest_test

import (
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
)

func corpTokenQuery(key, secret, ticket string, ts time.Time) url.Values {
	s := strconv.FormatInt(ts.UnixMilli(), 10)
	return url.Values{"accessKey": {key}, "timestamp": {s}, "suiteTicket": {ticket},
		"signature": {dingtalktest.Sign(secret, s+"\n"+ticket)}}
}

func TestSuiteTokens(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	legacy := postJSON(t, srv, "/service/get_suite_token", map[string]string{
		"suite_key": dingtalktest.DemoSuiteKey, "suite_secret": dingtalktest.DemoSuiteSecret, "suite_ticket": dingtalktest.DemoSuiteTicket})
	wantOAPI(t, legacy, 0)
	if legacy.str("suite_access_token") == "" || legacy.str("expires_in") != "7200" {
		t.Fatalf("E17 = %s", legacy.raw)
	}
	wantOAPI(t, postJSON(t, srv, "/service/get_suite_token", map[string]string{
		"suite_key": dingtalktest.DemoSuiteKey, "suite_secret": "x", "suite_ticket": dingtalktest.DemoSuiteTicket}), 40088)
	wantOAPI(t, postJSON(t, srv, "/service/get_suite_token", map[string]string{
		"suite_key": dingtalktest.DemoSuiteKey, "suite_secret": dingtalktest.DemoSuiteSecret, "suite_ticket": "stale"}), 40085)

	v1 := postJSON(t, srv, "/v1.0/oauth2/suiteAccessToken", map[string]string{
		"suiteKey": dingtalktest.DemoSuiteKey, "suiteSecret": dingtalktest.DemoSuiteSecret, "suiteTicket": dingtalktest.DemoSuiteTicket})
	if v1.status != 200 || v1.str("accessToken") == "" || v1.str("expireIn") != "7200" {
		t.Fatalf("E18 = %d %s", v1.status, v1.raw)
	}
	wantAPIError(t, postJSON(t, srv, "/v1.0/oauth2/suiteAccessToken", map[string]string{
		"suiteKey": dingtalktest.DemoSuiteKey, "suiteSecret": dingtalktest.DemoSuiteSecret, "suiteTicket": "stale"}), 400, "invalidSuiteTicket")
	wantAPIError(t, postJSON(t, srv, "/v1.0/oauth2/suiteAccessToken", map[string]string{
		"suiteKey": dingtalktest.DemoSuiteKey, "suiteSecret": "x", "suiteTicket": dingtalktest.DemoSuiteTicket}), 400, "invalidClientIdOrSecret")

	// E21 with the suite token.
	info := get(t, srv, "/v1.0/oauth2/apps/authInfo?authCorpId="+dingtalktest.DemoCorp2ID, "x-acs-dingtalk-access-token", v1.str("accessToken"))
	if info.status != 200 || info.str("authCorpInfo", "corpName") != dingtalktest.DemoCorp2Name || info.str("authUserInfo", "userId") != "bob.smith" {
		t.Fatalf("E21 = %d %s", info.status, info.raw)
	}
}

func TestCorpTokens(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.AddCorp(dingtalktest.Corp{CorpID: "dingnotauthorized", Name: "未授权公司"})
	key, secret, ticket := dingtalktest.DemoSuiteKey, dingtalktest.DemoSuiteSecret, dingtalktest.DemoSuiteTicket
	legacy := func(q url.Values, corp string) reply {
		return postJSON(t, srv, "/service/get_corp_token?"+q.Encode(), map[string]string{"auth_corpid": corp})
	}
	now := time.Now()
	r := legacy(corpTokenQuery(key, secret, ticket, now), dingtalktest.DemoCorpID)
	wantOAPI(t, r, 0)
	if r.str("access_token") == "" || r.str("expires_in") != "7200" {
		t.Fatalf("E19 = %s", r.raw)
	}
	if again := legacy(corpTokenQuery(key, secret, ticket, now), dingtalktest.DemoCorpID); again.str("access_token") == r.str("access_token") {
		t.Error("E19 returned the same token twice; DingTalk issues a new one per call")
	}
	wantOAPI(t, legacy(corpTokenQuery(key, secret, "stale", now), dingtalktest.DemoCorpID), 40085)
	wantOAPI(t, legacy(corpTokenQuery(key, "bad", ticket, now), dingtalktest.DemoCorpID), 853004)
	wantOAPI(t, legacy(corpTokenQuery(key, secret, ticket, now), "dingnotauthorized"), 41030)
	wantOAPI(t, legacy(corpTokenQuery(key, secret, ticket, now), ""), 41027)

	v1 := func(ticket, corp string) reply {
		return postJSON(t, srv, "/v1.0/oauth2/corpAccessToken", map[string]string{
			"suiteKey": key, "suiteSecret": secret, "authCorpId": corp, "suiteTicket": ticket})
	}
	ok := v1(ticket, dingtalktest.DemoCorp2ID)
	if ok.status != 200 || ok.str("accessToken") == "" || ok.str("expireIn") != "7200" {
		t.Fatalf("E20 = %d %s", ok.status, ok.raw)
	}
	wantAPIError(t, v1("stale", dingtalktest.DemoCorp2ID), 400, "invalidSuiteTicket")
	wantAPIError(t, v1(ticket, "dingnotauthorized"), 400, "invalidAuthInfo")
	wantAPIError(t, postJSON(t, srv, "/v1.0/oauth2/corpAccessToken", map[string]string{"suiteKey": "nosuch"}), 400, "invalidSuiteKey")

	// Authorizing the corp makes it work.
	srv.AuthorizeSuite(key, "dingnotauthorized")
	wantOAPI(t, legacy(corpTokenQuery(key, secret, ticket, now), "dingnotauthorized"), 0)

	// A rotated ticket replaces the old one.
	srv.SetSuiteTicket(key, "rotated-ticket")
	wantAPIError(t, v1(ticket, dingtalktest.DemoCorp2ID), 400, "invalidSuiteTicket")
	if r := v1("rotated-ticket", dingtalktest.DemoCorp2ID); r.status != 200 {
		t.Fatalf("E20 with the new ticket = %d %s", r.status, r.raw)
	}
}

func TestISVUserGetOmitsContactFields(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	r := postJSON(t, srv, "/v1.0/oauth2/corpAccessToken", map[string]string{
		"suiteKey": dingtalktest.DemoSuiteKey, "suiteSecret": dingtalktest.DemoSuiteSecret,
		"authCorpId": dingtalktest.DemoCorpID, "suiteTicket": dingtalktest.DemoSuiteTicket})
	tok := r.str("accessToken")
	u := topapi(t, srv, "/topapi/v2/user/get", tok, map[string]string{"userid": "manager4721"})
	wantOAPI(t, u, 0)
	for _, k := range []string{"mobile", "email", "org_email", "state_code", "hired_date", "telephone"} {
		if u.has("result", k) {
			t.Errorf("ISV result has %s: %s", k, u.raw)
		}
	}
	if u.str("result", "name") != "张三" || u.str("result", "unionid") == "" {
		t.Errorf("ISV result lacks identity: %s", u.raw)
	}
	// A corp token is scoped to its corp.
	wantOAPI(t, topapi(t, srv, "/topapi/v2/user/get", tok, map[string]string{"userid": "bob.smith"}), 60121)
	// JSAPI codes minted for the suite work with its corp token.
	code := srv.IssueCode(dingtalktest.CodeJSAPI, dingtalktest.DemoSuiteKey, dingtalktest.DemoCorpID, "alice.wang")
	wantOAPI(t, topapi(t, srv, "/topapi/v2/user/getuserinfo", tok, map[string]string{"code": code}), 0)
}
