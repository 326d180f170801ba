package dingtalk

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Suite is a third-party (ISV) enterprise app, or a custom app (定制应用,
// CustomKey/CustomSecret in the same fields).
type Suite struct {
	// SuiteKey is the suite's key (Client ID).
	SuiteKey string
	// SuiteSecret is the suite's secret.
	SuiteSecret string
	// TokenMethod selects the suite-token (E18 v1.0 / E17 legacy) and
	// corp-token (E20 v1.0 / E19 legacy / E6 unified) endpoints.
	TokenMethod TokenMethod
}

// TicketFunc returns the newest suite_ticket DingTalk pushed (event
// suite_ticket, about every 5 hours). It is called on every suite or corp
// token fetch, so a stored ticket that changes is picked up.
type TicketFunc func(ctx context.Context) (string, error)

// SuiteClient calls DingTalk as one ISV suite.
type SuiteClient struct {
	c      *Client
	suite  Suite
	ticket TicketFunc
	src    *tokenSource
}

// Suite returns a handle for s; ticket supplies the suite_ticket (nil is
// allowed when only E6 corp tokens are used).
func (c *Client) Suite(s Suite, ticket TicketFunc) *SuiteClient {
	h := &SuiteClient{c: c, suite: s, ticket: ticket}
	h.src = &tokenSource{c: c}
	if s.TokenMethod == TokenLegacy {
		h.src.key = "dingtalk:suite:legacy:" + s.SuiteKey
		h.src.fetch = h.fetchSuiteLegacy
	} else {
		h.src.key = "dingtalk:suite:v1:" + s.SuiteKey
		h.src.fetch = h.fetchSuiteV1
	}
	return h
}

// AccessToken returns the cached suite access token (E17/E18), fetching it
// when needed.
func (h *SuiteClient) AccessToken(ctx context.Context) (string, error) { return h.src.token(ctx) }

func (h *SuiteClient) suiteTicket(ctx context.Context) (string, error) {
	if h.ticket == nil {
		return "", errors.New("dingtalk: suite " + h.suite.SuiteKey + ": no TicketFunc")
	}
	t, err := h.ticket(ctx)
	if err != nil {
		return "", err
	}
	if t == "" {
		return "", errors.New("dingtalk: suite " + h.suite.SuiteKey + ": no suite_ticket yet")
	}
	return t, nil
}

// fetchWithTicket fetches a suite or corp token with the call build makes
// for the current suite_ticket; the suite secret and the ticket are kept
// out of logs and errors.
func (h *SuiteClient) fetchWithTicket(ctx context.Context, build func(ticket string) *call) (string, time.Duration, error) {
	ticket, err := h.suiteTicket(ctx)
	if err != nil {
		return "", 0, err
	}
	cl := build(ticket)
	cl.secrets = []string{h.suite.SuiteSecret, ticket}
	return h.c.fetchToken(ctx, cl)
}

// fetchSuiteLegacy is E17: POST /service/get_suite_token.
func (h *SuiteClient) fetchSuiteLegacy(ctx context.Context) (string, time.Duration, error) {
	return h.fetchWithTicket(ctx, func(ticket string) *call {
		return &call{
			host: oapiHost, method: http.MethodPost, path: "/service/get_suite_token",
			body: struct {
				SuiteKey    string `json:"suite_key"`
				SuiteSecret string `json:"suite_secret"`
				SuiteTicket string `json:"suite_ticket"`
			}{h.suite.SuiteKey, h.suite.SuiteSecret, ticket},
		}
	})
}

// fetchSuiteV1 is E18: POST /v1.0/oauth2/suiteAccessToken.
func (h *SuiteClient) fetchSuiteV1(ctx context.Context) (string, time.Duration, error) {
	return h.fetchWithTicket(ctx, func(ticket string) *call {
		return &call{
			host: apiHost, method: http.MethodPost, path: "/v1.0/oauth2/suiteAccessToken",
			body: struct {
				SuiteKey    string `json:"suiteKey"`
				SuiteSecret string `json:"suiteSecret"`
				SuiteTicket string `json:"suiteTicket"`
			}{h.suite.SuiteKey, h.suite.SuiteSecret, ticket},
		}
	})
}

// Corp returns a handle for the contact APIs of an organisation that has
// authorized the suite, using its corp access token (E20, E19 or E6 per
// Suite.TokenMethod), cached per suite and corp.
func (h *SuiteClient) Corp(corpID string) *CorpClient {
	src := &tokenSource{c: h.c}
	switch h.suite.TokenMethod {
	case TokenLegacy:
		src.key = "dingtalk:corp:legacy:" + h.suite.SuiteKey + ":" + corpID
		src.fetch = func(ctx context.Context) (string, time.Duration, error) { return h.fetchCorpLegacy(ctx, corpID) }
	case TokenUnified:
		src.key = "dingtalk:app:unified:" + h.suite.SuiteKey + ":" + corpID
		src.fetch = func(ctx context.Context) (string, time.Duration, error) {
			return h.c.unifiedToken(ctx, corpID, h.suite.SuiteKey, h.suite.SuiteSecret)
		}
	default:
		src.key = "dingtalk:corp:v1:" + h.suite.SuiteKey + ":" + corpID
		src.fetch = func(ctx context.Context) (string, time.Duration, error) { return h.fetchCorpV1(ctx, corpID) }
	}
	return &CorpClient{c: h.c, corpID: corpID, src: src}
}

// signedQuery is the E19/E21 query: accessKey, timestamp, suiteTicket,
// signature (§7.3).
func (h *SuiteClient) signedQuery(ticket string) url.Values {
	ts := strconv.FormatInt(h.c.now().UnixMilli(), 10)
	return url.Values{
		"accessKey":   {h.suite.SuiteKey},
		"timestamp":   {ts},
		"suiteTicket": {ticket},
		"signature":   {ISVSignature(h.suite.SuiteSecret, ts, ticket)},
	}
}

// fetchCorpLegacy is E19: signed POST /service/get_corp_token {auth_corpid}.
func (h *SuiteClient) fetchCorpLegacy(ctx context.Context, corpID string) (string, time.Duration, error) {
	return h.fetchWithTicket(ctx, func(ticket string) *call {
		return &call{
			host: oapiHost, method: http.MethodPost, path: "/service/get_corp_token",
			query: h.signedQuery(ticket),
			body: struct {
				AuthCorpID string `json:"auth_corpid"`
			}{corpID},
		}
	})
}

// fetchCorpV1 is E20: POST /v1.0/oauth2/corpAccessToken.
func (h *SuiteClient) fetchCorpV1(ctx context.Context, corpID string) (string, time.Duration, error) {
	return h.fetchWithTicket(ctx, func(ticket string) *call {
		return &call{
			host: apiHost, method: http.MethodPost, path: "/v1.0/oauth2/corpAccessToken",
			body: struct {
				SuiteKey    string `json:"suiteKey"`
				SuiteSecret string `json:"suiteSecret"`
				AuthCorpID  string `json:"authCorpId"`
				SuiteTicket string `json:"suiteTicket"`
			}{h.suite.SuiteKey, h.suite.SuiteSecret, corpID, ticket},
		}
	})
}

// ExchangeCode exchanges a new-OAuth2 authCode for a user access token
// (E2) with the SuiteKey as clientId. Never retried once sent.
func (h *SuiteClient) ExchangeCode(ctx context.Context, code string) (*UserToken, error) {
	return h.c.userToken(ctx, h.suite.SuiteKey, h.suite.SuiteSecret, "authorization_code", code)
}

// AuthCodeURL returns the E1 login URL with p.ClientID set to the SuiteKey.
func (h *SuiteClient) AuthCodeURL(p AuthCodeParams) string {
	p.ClientID = h.suite.SuiteKey
	return h.c.AuthCodeURL(p)
}

// AuthInfo is the v1.0 E21 reply: what an organisation authorized.
type AuthInfo struct {
	// AuthCorpInfo describes the organisation.
	AuthCorpInfo struct {
		CorpName        string `json:"corpName"`        // CorpName is the organisation's name.
		CorpLogoURL     string `json:"corpLogoUrl"`     // CorpLogoURL is its logo.
		AuthLevel       int64  `json:"authLevel"`       // AuthLevel is its verification level.
		Industry        string `json:"industry"`        // Industry is its industry.
		InviteCode      string `json:"inviteCode"`      // InviteCode is its invitation code.
		InviteURL       string `json:"inviteUrl"`       // InviteURL is its invitation link.
		LicenseCode     string `json:"licenseCode"`     // LicenseCode is its business licence number.
		AuthChannel     string `json:"authChannel"`     // AuthChannel is the channel of authorization.
		AuthChannelType string `json:"authChannelType"` // AuthChannelType is the channel type.
	} `json:"authCorpInfo"`
	// AuthAppInfo lists the authorized agents.
	AuthAppInfo struct {
		AgentList []AuthAgent `json:"agentList"` // AgentList are the suite's apps in the organisation.
	} `json:"authAppInfo"`
	// AuthUserInfo names the authorizing user.
	AuthUserInfo struct {
		UserID string `json:"userId"` // UserID is the authorizing user.
	} `json:"authUserInfo"`
}

// AuthAgent is one app of the suite inside an authorizing organisation.
type AuthAgent struct {
	// AgentID is the app's agent id in that organisation.
	AgentID int64 `json:"agentId"`
	// AgentName is the app's name.
	AgentName string `json:"agentName"`
	// AppID is the app id.
	AppID int64 `json:"appId"`
	// AdminList are the app's administrators (userids).
	AdminList []string `json:"adminList"`
}

// AuthInfo returns what corpID authorized (E21 v1.0, GET
// /v1.0/oauth2/apps/authInfo?authCorpId=) using the suite access token.
func (h *SuiteClient) AuthInfo(ctx context.Context, corpID string) (*AuthInfo, error) {
	var info AuthInfo
	err := h.src.withToken(ctx, func(token string) error {
		return h.c.do(ctx, &call{
			host: apiHost, method: http.MethodGet, path: "/v1.0/oauth2/apps/authInfo",
			query: url.Values{"authCorpId": {corpID}}, token: token, secrets: []string{token},
		}, &info)
	})
	if err != nil {
		return nil, err
	}
	return &info, nil
}
