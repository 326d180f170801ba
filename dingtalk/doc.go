// Package dingtalk is a client for DingTalk's (钉钉) server APIs used to log
// people in: the new OAuth2 web login, the legacy signed SNS login, in-app
// (JSAPI) codes, admin-console SSO, ISV suites and corp tokens, user and
// department lookups. It knows nothing of OpenID Connect.
//
// # Handles
//
// One *Client per process holds the HTTP client, base URLs, retry policy and
// the token cache. Credentials live in cheap handles, so one Client serves
// many apps and suites at once:
//
//   - Client.App(App{…}) *AppClient: an internal app. Its access token comes
//     from E5 (default), E4 or E6 (App.TokenMethod). Methods: ExchangeCode
//     (E2), AuthCodeURL (E1), SNSUserInfo (E12, signed) and, through the
//     embedded *CorpClient, UserInfoByCode (E7), User (E8), UserIDByUnionID
//     (E9), Department (E22), ParentDepartmentsByUser (E23),
//     ParentDepartmentsByDept (E24).
//   - Client.Suite(Suite{…}, ticketFunc) *SuiteClient: an ISV suite. Suite
//     token E18/E17; Corp(corpID) returns a *CorpClient on the authorized
//     corp's token (E20, E19 signed, or E6); AuthInfo (E21 v1.0);
//     ExchangeCode (E2 with the SuiteKey).
//   - Client.SSO(SSO{…}) *SSOClient: admin-console login, UserInfo via
//     E14+E16 (default) or E13+E15.
//   - Client.CurrentUser (E3) with a user token from ExchangeCode;
//     Client.AuthCodeURL (E1), QRConnectURL (E10), SNSAuthorizeURL (E11)
//     build browser URLs; IsDingTalkUserAgent and DingTalkVersion read the
//     User-Agent.
//
// # Tokens
//
// App, corp, suite and SSO tokens are cached until TokenMargin (5 min, at
// most a quarter of the lifetime) before DingTalk's expires_in/expireIn; the
// legacy SSO token (E13) states no lifetime and is assumed to live 7200 s.
// Concurrent callers share one fetch per token. With Config.TokenStore the
// tokens are shared between Clients and replicas; keys never contain
// secrets (see TokenStore). When DingTalk rejects a token (KindTokenInvalid)
// it is dropped, fetched again and the call repeated once.
//
// # Retries and one-time codes
//
// Token fetches and lookups retry KindTransient and KindThrottled failures
// (Config.Retry: 3 attempts, exponential back-off with jitter, at least 1 s
// after throttling). Calls carrying a one-time user code (E2, E7, E12, E15,
// E16) are never repeated once the request may have reached DingTalk: only
// a failed connect is retried. A rejected access token is the exception:
// DingTalk checks the token before the code, so the code is still unused
// and the call is repeated once with a fresh token. Every HTTP attempt
// carries a Config.Timeout (5 s) deadline.
//
// # Errors
//
// DingTalk's failure replies become *APIError (HTTP status, Code, SubCode,
// Message, RequestID, Endpoint, Kind); network failures become
// *TransportError (Kind KindTransient). Error texts start with "dingtalk:"
// and never contain secrets, codes or tokens. Test the class with
// errors.Is(err, dingtalk.KindNotMember) or IsKind; the code-to-kind table
// is kindCodes in errors.go. 853001/853002 (timestamp) are KindTimestamp.
//
// Replies are decoded leniently (numbers as strings, sub_code or subCode,
// missing fields); see decodeLenient in lenient.go.
//
// # Example
//
//	c := dingtalk.NewClient(dingtalk.Config{Logger: logger})
//	app := c.App(dingtalk.App{AppKey: key, AppSecret: secret, CorpID: corpID})
//
//	// Login page: send the browser to DingTalk.
//	http.Redirect(w, r, app.AuthCodeURL(dingtalk.AuthCodeParams{
//		RedirectURI: "https://sso.example.com/login/callback",
//		State:       state,
//	}), http.StatusFound)
//
//	// Callback: authCode (or code) → user token → profile → userid.
//	tok, err := app.ExchangeCode(ctx, r.FormValue("authCode"))
//	if errors.Is(err, dingtalk.KindCodeInvalid) { /* ask to log in again */ }
//	me, err := c.CurrentUser(ctx, tok.AccessToken)
//	u, err := app.UserIDByUnionID(ctx, me.UnionID)
//	if errors.Is(err, dingtalk.KindNotMember) { /* not in this organisation */ }
//	detail, err := app.User(ctx, u.UserID, "")
package dingtalk
