package resolve

import (
	"context"
	"errors"
	"fmt"

	"github.com/dingbridge/dingbridge/dingtalk"
	"github.com/dingbridge/dingbridge/storage"
)

// AMR values: every Result's AMR is ["dingtalk", <flow>].
const (
	AMRDingTalk     = "dingtalk"
	AMROAuth2       = "oauth2"
	AMRSNS          = "sns"
	AMRWorkspace    = "workspace"
	AMRAdminConsole = "admin_console"
	AMRMiniProgram  = "mini_program"
)

// Result is who a DingTalk code belongs to.
type Result struct {
	// Identity carries every id the calls returned (CorpID+UserID and
	// UnionID) and the complete profile snapshot, ready for
	// storage.LoginCompletion.Identity. For a non-member its CorpID and
	// UserID are empty: the identity is the unionId alone.
	Identity storage.Identity
	// CorpID is the corp the login is for (also for non-members and
	// unknown corps, so policy errors can name it); "" when no corp could
	// be determined.
	CorpID string
	// Member reports a member (contact_type 0) of CorpID.
	Member bool
	// Directory reports that the profile comes from CorpID's directory
	// (E8): Active, departments and roles are known. Without it the
	// inactive-user check does not apply.
	Directory bool
	// AMR is ["dingtalk", flow], flow one of the AMR* constants.
	AMR []string
}

// QR resolves a new-OAuth2 authCode (E1 callback or DTFrameLogin) issued to
// clientID (an internal appKey or a suiteKey): E2 → E3, then, when the corp
// is known (E2's corpId, else corpHint, else the internal app's corp, else
// the suite's only corp) and served, E9 → E8 → departments (E8 →
// departments for a member this Resolver has mapped before; see byUnionID).
//
// A person E9 does not find (60121) or finds as an external contact yields
// Member=false and the unionId identity; the policy decides. A corp that is
// not served yields Member=false with Result.CorpID set. A member outside
// the app's visible range (E8 50002) is an error, as in every flow.
func (r *Resolver) QR(ctx context.Context, clientID, code, corpHint string) (*Result, error) {
	var (
		tok   *dingtalk.UserToken
		err   error
		via   *suiteEntry
		fixed string // the corp the app belongs to, for internal apps
	)
	if e, ok := r.apps[clientID]; ok {
		fixed = e.info.CorpID
		tok, err = e.app.ExchangeCode(ctx, code)
	} else if s, ok := r.suites[clientID]; ok {
		via = s
		tok, err = s.client.ExchangeCode(ctx, code)
	} else {
		return nil, fmt.Errorf("resolve qr: %w", ErrUnknownClient)
	}
	if err != nil {
		return nil, fmt.Errorf("resolve qr: %w", err)
	}
	me, err := r.dt.CurrentUser(ctx, tok.AccessToken)
	if err != nil {
		return nil, fmt.Errorf("resolve qr: %w", err)
	}
	if me.UnionID == "" {
		return nil, errors.New("resolve qr: users/me returned no unionId")
	}
	corpID := firstNonEmpty(tok.CorpID, corpHint, fixed)
	if corpID == "" && via != nil && len(via.cfg.Corps) == 1 {
		corpID = via.cfg.Corps[0].CorpID
	}
	base := storage.Profile{Nick: me.Nick, Avatar: me.AvatarURL, Email: me.Email}
	res, err := r.byUnionID(ctx, corpID, via, me.UnionID, base, AMROAuth2)
	if err != nil {
		return nil, fmt.Errorf("resolve qr: %w", err)
	}
	return res, nil
}

// SNS resolves a legacy login code (qrconnect, sns_authorize) of the login
// app appID: E12, then E9 → E8 → departments in the corp (E8 → departments
// for a member mapped before, as in QR): corpHint when set, else the app's
// only corp; with several corps and no hint, the corps the app covers are
// tried in configuration order and the first where the person is a member
// wins.
func (r *Resolver) SNS(ctx context.Context, appID, code, corpHint string) (*Result, error) {
	le, ok := r.loginApps[appID]
	if !ok {
		return nil, fmt.Errorf("resolve sns: %w", ErrUnknownClient)
	}
	info, err := le.client.SNSUserInfo(ctx, code)
	if err != nil {
		return nil, fmt.Errorf("resolve sns: %w", err)
	}
	if info.UnionID == "" {
		return nil, errors.New("resolve sns: getuserinfo_bycode returned no unionid")
	}
	base := storage.Profile{Nick: info.Nick}
	candidates := []string{corpHint}
	if corpHint == "" {
		candidates = r.loginCorps(le)
	}
	res := &Result{AMR: []string{AMRDingTalk, AMRSNS}, Identity: storage.Identity{UnionID: info.UnionID, Profile: base}}
	for _, corpID := range candidates {
		res, err = r.byUnionID(ctx, corpID, nil, info.UnionID, base, AMRSNS)
		if err != nil {
			return nil, fmt.Errorf("resolve sns: %w", err)
		}
		if res.Member {
			break
		}
	}
	if len(candidates) > 1 && !res.Member {
		res.CorpID = ""
	}
	return res, nil
}

// loginCorps are the corps a login app maps, in configuration order (every
// served corp, sorted by name, when it names none).
func (r *Resolver) loginCorps(le *loginEntry) []string {
	if len(le.cfg.Corps) > 0 {
		return le.cfg.Corps
	}
	out := make([]string, len(r.sorted))
	for i, e := range r.sorted {
		out[i] = e.info.CorpID
	}
	return out
}

// byUnionID maps unionID to a member of corpID (E9) and reads the member's
// profile (E8, departments). base holds what the login call itself said.
//
// A member this Resolver has mapped before skips E9: E8 is read with the
// remembered userid and its reply is used only when it carries the same
// unionid. When that userid is gone, outside the app's visible range (any
// not-member error) or answers with another unionid, the entry is forgotten
// and E9 → E8 run as on a first login, so the result is the one the full
// path gives. Other E8 errors (throttling, DingTalk or network failures,
// credentials) are returned as they are, as on the full path.
func (r *Resolver) byUnionID(ctx context.Context, corpID string, via *suiteEntry, unionID string, base storage.Profile, flow string) (*Result, error) {
	res := &Result{CorpID: corpID, AMR: []string{AMRDingTalk, flow},
		Identity: storage.Identity{UnionID: unionID, Profile: base}}
	cc := r.directory(corpID, via)
	if cc == nil {
		return res, nil
	}
	if userID, ok := r.members.get(corpID, unionID); ok {
		u, err := cc.User(ctx, userID, r.lang)
		switch {
		case err == nil && u.UnionID == unionID:
			if err := r.fillMemberFrom(ctx, res, cc, userID, u, base); err != nil {
				return nil, err
			}
			return res, nil
		case err == nil || isUserNotFound(err) || errors.Is(err, dingtalk.KindNotMember):
			r.members.forget(corpID, unionID, userID)
			r.log.DebugContext(ctx, "resolve: remembered userid no longer confirmed; asking getbyunionid",
				"corp_id", corpID)
		default:
			return nil, err
		}
	}
	m, err := cc.UserIDByUnionID(ctx, unionID)
	if isUserNotFound(err) {
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	if m.ContactType != dingtalk.ContactInternal || m.UserID == "" {
		return res, nil
	}
	u, err := cc.User(ctx, m.UserID, r.lang)
	if err != nil {
		return nil, err
	}
	if u.UnionID == unionID {
		r.members.put(corpID, unionID, m.UserID)
	}
	if err := r.fillMemberFrom(ctx, res, cc, m.UserID, u, base); err != nil {
		return nil, err
	}
	return res, nil
}

// Workspace resolves a JSAPI code (dd.requestAuthCode inside an H5 micro
// app) of corpID: E7 → E8 → departments, with the corp's internal app or
// suite corp token. Every DingTalk error is returned as is (60121/50002 on
// E8 included), wrapped.
func (r *Resolver) Workspace(ctx context.Context, corpID, code string) (*Result, error) {
	res, err := r.inApp(ctx, corpID, code, AMRWorkspace)
	if err != nil {
		return nil, fmt.Errorf("resolve workspace: %w", err)
	}
	return res, nil
}

// MiniProgram resolves a mini program's dd.getAuthCode code of corpID like
// Workspace; the AMR says mini_program.
func (r *Resolver) MiniProgram(ctx context.Context, corpID, code string) (*Result, error) {
	res, err := r.inApp(ctx, corpID, code, AMRMiniProgram)
	if err != nil {
		return nil, fmt.Errorf("resolve mini program: %w", err)
	}
	return res, nil
}

func (r *Resolver) inApp(ctx context.Context, corpID, code, flow string) (*Result, error) {
	e, ok := r.corps[corpID]
	if !ok {
		return nil, ErrUnknownCorp
	}
	info, err := e.dir.UserInfoByCode(ctx, code)
	if err != nil {
		return nil, err
	}
	res := &Result{CorpID: corpID, AMR: []string{AMRDingTalk, flow},
		Identity: storage.Identity{UnionID: info.UnionID}}
	base := storage.Profile{Name: info.Name, SysLevel: int(info.SysLevel), Admin: info.Sys}
	if err := r.fillMember(ctx, res, e.dir, info.UserID, base); err != nil {
		return nil, err
	}
	return res, nil
}

// AdminSelector picks the admin-console SSO configuration when several
// exist: by Key (an appKey or suiteKey) or CorpID (an internal corp, or a
// suite's SSOCorpID). Both empty: the only configuration.
type AdminSelector struct {
	CorpID string
	Key    string
}

// Admin resolves an admin-console SSO code: E16 (or E15), then E8 and
// departments when an app token exists for the administrator's corp (its
// internal app, or the suite that owns the SSO secret or any suite serving
// it) to learn the unionid. Without one, or when the administrator is
// outside the app's visible range (60121/50002 on E8), the identity is
// (corp, userId) only with the SSO profile (name, avatar, unverified email).
// Profile.AppAdmin is always true.
func (r *Resolver) Admin(ctx context.Context, sel AdminSelector, code string) (*Result, error) {
	se, err := r.pickSSO(sel)
	if err != nil {
		return nil, fmt.Errorf("resolve admin console: %w", err)
	}
	info, err := se.client.UserInfo(ctx, code)
	if err != nil {
		return nil, fmt.Errorf("resolve admin console: %w", err)
	}
	if info.CorpID == "" || info.UserID == "" {
		return nil, errors.New("resolve admin console: ssoUserInfo returned no corpId or userId")
	}
	res := &Result{CorpID: info.CorpID, Member: true, AMR: []string{AMRDingTalk, AMRAdminConsole},
		Identity: storage.Identity{CorpID: info.CorpID, UserID: info.UserID}}
	base := storage.Profile{Name: info.UserName, Avatar: info.Avatar, Email: info.Email,
		Admin: info.IsAdmin, AppAdmin: true, CorpName: firstNonEmpty(r.corpName(info.CorpID), info.CorpName)}
	res.Identity.Profile = base
	cc := r.directory(info.CorpID, se.suite)
	if cc == nil {
		return res, nil
	}
	err = r.fillMember(ctx, res, cc, info.UserID, base)
	if errors.Is(err, dingtalk.KindNotMember) {
		r.log.WarnContext(ctx, "resolve: admin outside the app's visible range; identity without unionid",
			"corp_id", info.CorpID, "err", err)
		res.Identity = storage.Identity{CorpID: info.CorpID, UserID: info.UserID, Profile: base}
		res.Member, res.Directory = true, false
		return res, nil
	}
	if err != nil {
		return nil, fmt.Errorf("resolve admin console: %w", err)
	}
	return res, nil
}

// pickSSO returns the SSO configuration sel names: by Key, the internal app
// or suite with that key; by CorpID, the configuration owning an SSO secret
// for that corp, else the one suite with an SSO secret serving that corp;
// with neither, the only configuration.
func (r *Resolver) pickSSO(sel AdminSelector) (*ssoEntry, error) {
	match := func(keep func(*ssoEntry) bool) []*ssoEntry {
		var out []*ssoEntry
		for _, s := range r.ssos {
			if keep(s) {
				out = append(out, s)
			}
		}
		return out
	}
	var found []*ssoEntry
	switch {
	case sel.Key != "":
		found = match(func(s *ssoEntry) bool {
			return s.appKey == sel.Key || (s.suite != nil && s.suite.cfg.SuiteKey == sel.Key)
		})
	case sel.CorpID != "":
		// An internal app and a suite may share the SSO corp: the
		// internal app's entry comes first.
		if found = match(func(s *ssoEntry) bool { return s.corpID == sel.CorpID }); len(found) > 1 {
			found = found[:1]
		}
		if len(found) == 0 {
			found = match(func(s *ssoEntry) bool {
				if s.suite == nil {
					return false
				}
				_, serves := s.suite.corps[sel.CorpID]
				return serves
			})
		}
	default:
		found = r.ssos
	}
	if len(found) != 1 {
		return nil, ErrNoSSO
	}
	return found[0], nil
}

// isUserNotFound reports E9's "no such employee" (60121). Other not-member
// codes (50002 outside the visible range, 40079) stay errors, so the login
// page can say what the administrator must change.
func isUserNotFound(err error) bool {
	var ae *dingtalk.APIError
	return errors.As(err, &ae) && (ae.Code == "60121" || ae.SubCode == "60121")
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
