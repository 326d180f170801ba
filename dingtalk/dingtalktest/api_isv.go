package dingtalktest

import (
	"net/http"
	"strconv"
)

type authAgent struct {
	AgentID   int64    `json:"agentId"`
	AgentName string   `json:"agentName"`
	AppID     int64    `json:"appId"`
	AdminList []string `json:"adminList"`
}

type authInfoResponse struct {
	AuthCorpInfo struct {
		CorpName        string `json:"corpName"`
		CorpLogoURL     string `json:"corpLogoUrl"`
		AuthLevel       int64  `json:"authLevel"`
		Industry        string `json:"industry"`
		InviteCode      string `json:"inviteCode"`
		InviteURL       string `json:"inviteUrl"`
		LicenseCode     string `json:"licenseCode"`
		AuthChannel     string `json:"authChannel"`
		AuthChannelType string `json:"authChannelType"`
	} `json:"authCorpInfo"`
	AuthAppInfo struct {
		AgentList []authAgent `json:"agentList"`
	} `json:"authAppInfo"`
	AuthUserInfo struct {
		UserID string `json:"userId"`
	} `json:"authUserInfo"`
}

// suiteAgentID derives the agent id a suite has inside a corp, in the range
// DingTalk uses (10^9..10^10-1).
func suiteAgentID(suiteKey, corpID string) int64 {
	n, _ := strconv.ParseUint(shortHash("agent", suiteKey, corpID)[:12], 16, 64)
	return 1_000_000_000 + int64(n%9_000_000_000)
}

// handleAuthInfo is E21 v1.0: what an organisation authorized, read with the
// suite token.
func (s *Simulator) handleAuthInfo(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.apiToken(w, r, tokSuite)
	if !ok {
		return
	}
	su, _ := s.suite(t.clientID)
	corpID := r.URL.Query().Get("authCorpId")
	c, ok := s.corp(corpID)
	if cl, _ := s.client(su.SuiteKey); !ok || !cl.inCorp(corpID) {
		apiError(w, http.StatusBadRequest, "invalidAuthInfo", "企业未授权该应用")
		return
	}
	var resp authInfoResponse
	resp.AuthCorpInfo.CorpName = c.Name
	resp.AuthCorpInfo.AuthLevel = 1
	var admins []string
	for _, u := range s.usersOf(corpID) {
		if lvl := sysLevel(u); u.Admin || lvl == 1 || lvl == 2 {
			admins = append(admins, u.UserID)
		}
	}
	if admins == nil {
		admins = []string{}
	} else {
		resp.AuthUserInfo.UserID = admins[0]
	}
	appID, _ := strconv.ParseInt(shortHash("appid", su.SuiteKey)[:7], 16, 64)
	resp.AuthAppInfo.AgentList = []authAgent{{AgentID: suiteAgentID(su.SuiteKey, corpID), AgentName: su.Name, AppID: appID, AdminList: admins}}
	writeJSON(w, http.StatusOK, resp)
}
