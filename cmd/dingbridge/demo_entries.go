package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
	"github.com/dingbridge/dingbridge/provider"
	"github.com/dingbridge/dingbridge/provider/login"
)

// devClient sets or clears the dev cookie that makes this browser count as
// the DingTalk client.
func (d *demoRP) devClient(w http.ResponseWriter, r *http.Request) {
	c := &http.Cookie{Name: login.DevClientCookie, Path: "/", SameSite: http.SameSiteLaxMode}
	if r.PostFormValue("on") == "1" {
		c.Value = "dingtalk"
	} else {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
	http.Redirect(w, r, d.origin+"/demo/", http.StatusSeeOther)
}

// admin does what DingTalk's admin console does when an administrator
// opens the app: it mints an SSO code for the corp's administrator and
// opens the app's backend URL with it.
func (d *demoRP) admin(w http.ResponseWriter, r *http.Request) {
	corpID := cmp.Or(r.URL.Query().Get("corpId"), dingtalktest.DemoCorpID)
	u, ok := corpAdmin(d.cfg.sim.Directory(), corpID)
	if !ok {
		d.fail(w, http.StatusNotFound, "No administrator", fmt.Errorf("corp %q has no administrator in the simulator", corpID))
		return
	}
	code := d.cfg.sim.IssueCode(dingtalktest.CodeSSO, "", corpID, u.UserID)
	q := url.Values{"corpId": {corpID}, "code": {code}}
	http.Redirect(w, r, d.cfg.issuer+"/dingtalk/admin/"+d.cfg.clientID+"?"+q.Encode(), http.StatusFound)
}

// demoPerson is one choice of the mini-program form.
type demoPerson struct {
	Value, Label string
}

// demoMini is the data of the mini-program page.
type demoMini struct {
	People               []demoPerson
	ClientID, TokenURL   string
	Status               string
	Response, Claims     string
	Chosen, Error, Scope string
}

func (d *demoRP) miniData() demoMini {
	m := demoMini{ClientID: d.cfg.miniClientID, TokenURL: d.cfg.issuer + "/oauth/token", Scope: "openid profile email groups offline_access"}
	dir := d.cfg.sim.Directory()
	names := map[string]string{}
	for _, c := range dir.Corps {
		names[c.CorpID] = c.Name
	}
	for _, u := range dir.Users {
		m.People = append(m.People, demoPerson{Value: u.CorpID + ":" + u.UserID, Label: u.Name + " — " + names[u.CorpID]})
	}
	return m
}

func (d *demoRP) miniForm(w http.ResponseWriter, r *http.Request) {
	d.render(w, http.StatusOK, "mini", d.miniData())
}

// mini plays a mini program: dd.getAuthCode gives it a code (minted by
// the simulator here) and it posts the RFC 8693 token exchange to the
// bridge's token endpoint as the public client demo-mini.
func (d *demoRP) mini(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	m := d.miniData()
	m.Chosen = r.PostFormValue("person")
	corpID, userID, ok := strings.Cut(m.Chosen, ":")
	if !ok || userID == "" {
		m.Error = "choose a person"
		d.render(w, http.StatusBadRequest, "mini", m)
		return
	}
	if _, ok := d.cfg.sim.ClientUser(corpID); !ok {
		m.Error = "unknown corp"
		d.render(w, http.StatusBadRequest, "mini", m)
		return
	}
	code := d.cfg.sim.IssueCode(dingtalktest.CodeJSAPI, "", corpID, userID)
	form := url.Values{
		"grant_type":         {provider.GrantTokenExchange},
		"subject_token":      {code},
		"subject_token_type": {provider.TokenTypeDingTalkAuthCode},
		"corp_id":            {corpID},
		"client_id":          {d.cfg.miniClientID},
		"scope":              {m.Scope},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		d.fail(w, http.StatusInternalServerError, "Token exchange", err)
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.fail(w, http.StatusBadGateway, "The bridge does not answer", err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	m.Status = resp.Status
	var out map[string]any
	if json.Unmarshal(body, &out) != nil {
		m.Response = string(body)
	} else {
		m.Response = pretty(out)
	}
	if raw, _ := out["id_token"].(string); raw != "" {
		if p, err := d.provider(ctx); err == nil {
			if idt, err := p.Verifier(&oidc.Config{ClientID: d.cfg.miniClientID}).Verify(ctx, raw); err != nil {
				m.Claims = "ID token does not verify: " + err.Error()
			} else {
				var claims map[string]any
				_ = idt.Claims(&claims)
				m.Claims = pretty(claims)
			}
		}
	}
	d.render(w, http.StatusOK, "mini", m)
}
