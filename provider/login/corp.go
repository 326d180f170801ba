package login

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/dingbridge/dingbridge/provider"
	"github.com/dingbridge/dingbridge/provider/resolve"
	"github.com/dingbridge/dingbridge/storage"
	"github.com/dingbridge/dingbridge/templates"
)

// hintCorp reads a corp from login_hint: "corp:<corpId>" names one
// outright; "<anything>@<corpId>" does only when corpId is a served corp
// (so an e-mail address as hint is ignored). ok reports an explicit
// "corp:" hint.
func (l *Login) hintCorp(hint string) (corpID string, explicit bool) {
	if v, ok := strings.CutPrefix(hint, "corp:"); ok {
		return strings.TrimSpace(v), true
	}
	if i := strings.LastIndexByte(hint, '@'); i >= 0 {
		if _, ok := l.res.Corp(hint[i+1:]); ok {
			return hint[i+1:], false
		}
	}
	return "", false
}

// queryCorp reads the corpId (or corpid) query parameter, as a workspace
// URL's $CORPID$ placeholder delivers it; an unreplaced placeholder
// counts as none.
func queryCorp(q url.Values) string {
	v := q.Get("corpId")
	if v == "" {
		v = q.Get("corpid")
	}
	if v == "$CORPID$" {
		return ""
	}
	return v
}

// selectCorp names the corp of an authorization request, in order: the
// corp_id authorization parameter, login_hint, the login URL's corpId
// (set by the corp chooser), then pickCorp's fallbacks. "" with no error
// means several corps are possible and none is named.
func (l *Login) selectCorp(r *http.Request, req provider.LoginRequest) (string, error) {
	named := req.Params["corp_id"]
	if named == "" {
		named, _ = l.hintCorp(req.LoginHint)
	}
	if named == "" {
		named = queryCorp(r.URL.Query())
	}
	return l.pickCorp(named, req.Policy)
}

// pickCorp checks a named corp against the served corps and the client's
// policy, or, with none named, picks the policy's single allowed corp or
// the single served corp the policy allows.
func (l *Login) pickCorp(named string, policy storage.ClientPolicy) (string, error) {
	if named != "" {
		if _, ok := l.res.Corp(named); !ok {
			return "", fmt.Errorf("corp %q: %w", named, resolve.ErrUnknownCorp)
		}
		if len(policy.AllowedCorps) > 0 && !slices.Contains(policy.AllowedCorps, named) {
			return "", &resolve.PolicyError{Reason: resolve.CorpNotAllowed, CorpID: named}
		}
		return named, nil
	}
	if cands := l.candidates(policy); len(cands) == 1 {
		return cands[0].CorpID, nil
	}
	return "", nil
}

// candidates lists the served corps the client's policy allows, by name.
func (l *Login) candidates(policy storage.ClientPolicy) []resolve.CorpInfo {
	var out []resolve.CorpInfo
	for _, c := range l.res.Corps() {
		if len(policy.AllowedCorps) == 0 || slices.Contains(policy.AllowedCorps, c.CorpID) {
			out = append(out, c)
		}
	}
	return out
}

// chooser shows the corp chooser: every served corp the client allows.
func (l *Login) chooser(w http.ResponseWriter, r *http.Request, pi pageInfo, policy storage.ClientPolicy) {
	cands := l.candidates(policy)
	if len(cands) == 0 {
		l.fail(w, r, pi, errNoCorps)
		return
	}
	state, err := l.mintState(w, r, loginState{
		Flow: flowCorp, AuthRequestID: pi.authRequestID, EntryClientID: pi.entryClientID(),
		ClientID: pi.clientID, Lang: pi.lang,
	})
	if err != nil {
		l.fail(w, r, pi, err)
		return
	}
	d := templates.CorpChooserData{LoginPage: l.page(r, pi, reasonCancelled)}
	for _, c := range cands {
		d.Corps = append(d.Corps, templates.CorpChoice{
			Name: c.Name,
			URL:  l.url(corpPath, url.Values{"state": {state}, "corpId": {c.CorpID}}),
		})
	}
	if err := templates.LoginCorpChooser(w, d); err != nil {
		l.log.ErrorContext(r.Context(), "render corp chooser", "err", err)
	}
}

// corpChosen is the chooser's link target: it checks the state and the
// corp, then starts the login again with the corp named.
func (l *Login) corpChosen(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	st, err := l.takeState(w, r, q.Get("state"), flowCorp)
	if err != nil {
		l.fail(w, r, l.anonymous(r), err)
		return
	}
	pi := l.pageFromState(st)
	c, err := l.p.Client(r.Context(), st.ClientID)
	if err != nil {
		l.fail(w, r, pi, clientError(st.ClientID, err))
		return
	}
	pi.clientName = c.Name
	corp := queryCorp(q)
	if corp == "" {
		l.fail(w, r, pi, errMissingParam)
		return
	}
	if _, err := l.pickCorp(corp, c.Policy); err != nil {
		l.fail(w, r, pi, err)
		return
	}
	target := l.startURL(st.EntryClientID, corp)
	if !st.entry() {
		target = l.url("/login", url.Values{"authRequestID": {st.AuthRequestID}, "corpId": {corp}})
	}
	http.Redirect(w, r, target, http.StatusFound)
}

// clientError wraps a client lookup failure: unknown clients get their own
// page.
func clientError(clientID string, err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("client %q: %w", clientID, errUnknownClient)
	}
	return fmt.Errorf("load client %q: %w", clientID, err)
}
