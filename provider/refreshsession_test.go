package provider

import (
	"net/http"
	"net/url"
	"testing"
)

// A refreshed ID token keeps the login's sid, so a relying party that
// keeps only its newest ID token (oauth2-proxy) can still end the session
// with it as id_token_hint; ending the session revokes the refresh
// tokens issued in it.
func TestRefreshKeepsSessionAndLogoutEndsIt(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			e := newEnv(t, be.open(t))
			c := e.addClient("web", nil)
			tok := e.tokensFor(t, nil, c, nil)
			sid, _ := jwtClaims(t, tok, "id_token")["sid"].(string)
			if sid == "" {
				t.Fatal("ID token has no sid")
			}
			status, refreshed := e.post(t, "/oauth/token", c, true, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}})
			if status != http.StatusOK {
				t.Fatalf("refresh: %d %v", status, refreshed)
			}
			if got := jwtClaims(t, refreshed, "id_token")["sid"]; got != sid {
				t.Errorf("refreshed ID token sid = %v, want %q", got, sid)
			}
			if got := refreshed["session_state"]; got != sid {
				t.Errorf("refresh response session_state = %v, want %q", got, sid)
			}

			// A cookie-less logout with the refreshed ID token ends the session.
			resp := visit(t, newBrowser(t), e.issuer+"/end_session?"+url.Values{"id_token_hint": {refreshed["id_token"].(string)}}.Encode())
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("end_session = %d, want the signed-out page", resp.StatusCode)
			}
			status, again := e.post(t, "/oauth/token", c, true, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshed["refresh_token"].(string)}})
			if status != http.StatusBadRequest || again["error"] != "invalid_grant" {
				t.Errorf("refresh after logout = %d %v, want 400 invalid_grant", status, again)
			}
		})
	}
}
