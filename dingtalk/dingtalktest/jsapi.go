package dingtalktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
)

// SetClientUser makes userID the user logged in to the simulated DingTalk
// client for corpID: JSAPI codes for that corp are minted for them, and
// snsapi_auth logins of corp-less login apps use this corp. Unknown users
// panic.
func (s *Simulator) SetClientUser(corpID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.user(corpID, userID); !ok {
		panic(fmt.Sprintf("dingtalktest: SetClientUser: no user %q in corp %q", userID, corpID))
	}
	s.clientUsers[corpID] = userID
	s.clientCorp = corpID
}

// ClientUser returns the current DingTalk client user of corpID: the one set
// by SetClientUser, else the corp's first active member.
func (s *Simulator) ClientUser(corpID string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clientUser(corpID)
}

func (s *Simulator) clientUser(corpID string) (User, bool) {
	if id, ok := s.clientUsers[corpID]; ok {
		if u, ok := s.user(corpID, id); ok {
			return u, true
		}
	}
	for _, u := range s.usersOf(corpID) {
		if !u.Inactive {
			return u, true
		}
	}
	return User{}, false
}

func allowCORS(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Content-Type")
	h.Set("Access-Control-Max-Age", "600")
}

func corsPreflight(w http.ResponseWriter, _ *http.Request) {
	allowCORS(w)
	w.WriteHeader(http.StatusNoContent)
}

// handleJSAPIAuthCode mints the code the dd shim hands to the page, for the
// current client user of corpId. An unknown corp or client answers
// errorCode 3, as DingTalk does when no micro app matches.
func (s *Simulator) handleJSAPIAuthCode(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	var req struct {
		CorpID   string `json:"corpId"`
		ClientID string `json:"clientId"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errorCode": "3", "errorMessage": "bad request"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fail := func(msg string) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errorCode": "3", "errorMessage": msg})
	}
	if _, ok := s.corp(req.CorpID); !ok {
		fail("企业不存在或没有可用的微应用 · no micro app of this corp")
		return
	}
	if req.ClientID != "" {
		if c, ok := s.client(req.ClientID); !ok || !c.inCorp(req.CorpID) {
			fail("clientId 不是该企业的应用 · clientId is not an app of this corp")
			return
		}
	}
	u, ok := s.clientUser(req.CorpID)
	if !ok {
		fail("当前没有登录用户 · no DingTalk client user")
		return
	}
	v := s.newCode(code{kind: CodeJSAPI, clientID: req.ClientID, corpID: req.CorpID, userID: u.UserID})
	writeJSON(w, http.StatusOK, map[string]string{"code": v})
}

// serveAsset serves an embedded file.
func serveAsset(name, contentType string) http.HandlerFunc {
	b, err := assets.ReadFile(name)
	if err != nil {
		panic(fmt.Sprintf("dingtalktest: missing asset %s", name))
	}
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType+"; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(b)
	}
}

// handleJSAPIScript serves the dd shim with the simulator's view of this
// browser: whether it acts as the DingTalk client, and the current corp.
func (s *Simulator) handleJSAPIScript(w http.ResponseWriter, r *http.Request) {
	b, _ := assets.ReadFile("assets/dingtalk.open.js")
	s.mu.Lock()
	cfg, _ := json.Marshal(map[string]any{"client": inDingTalk(r), "corpId": s.clientCorp})
	s.mu.Unlock()
	b = bytes.Replace(b, []byte("/*SIM_CONFIG*/null"), cfg, 1)
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}

// handleSimPage is the console where a human picks the client user.
func (s *Simulator) handleSimPage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var corps []pageCorp
	for _, c := range s.dir.Corps {
		pc := pageCorp{ID: c.CorpID, Name: c.Name}
		cur, _ := s.clientUser(c.CorpID)
		for _, u := range s.usersOf(c.CorpID) {
			pu := toPageUser(u, u.UserID)
			pu.Selected = u.UserID == cur.UserID
			pc.Users = append(pc.Users, pu)
		}
		corps = append(corps, pc)
	}
	renderPage(w, http.StatusOK, "sim", map[string]any{"Corps": corps, "Client": inDingTalk(r)})
}

// handleSetClientUser is the console's form target.
func (s *Simulator) handleSetClientUser(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		errorPage(w, "无效的请求 · bad form")
		return
	}
	switch r.PostForm.Get("client") {
	case "on":
		http.SetCookie(w, &http.Cookie{Name: clientCookie, Value: "1", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	case "off":
		http.SetCookie(w, &http.Cookie{Name: clientCookie, Value: "", Path: "/", MaxAge: -1})
	}
	if corpID := r.PostForm.Get("corp_id"); corpID != "" {
		s.mu.Lock()
		_, ok := s.user(corpID, r.PostForm.Get("user_id"))
		if ok {
			s.clientUsers[corpID] = r.PostForm.Get("user_id")
			s.clientCorp = corpID
		}
		s.mu.Unlock()
		if !ok {
			errorPage(w, "成员不存在 · no such member")
			return
		}
	}
	http.Redirect(w, r, "/__sim/", http.StatusSeeOther)
}

// handleSimDirectory answers the directory as JSON without secrets.
func (s *Simulator) handleSimDirectory(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	d := s.dir.withoutSecrets()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, d)
}
