package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/text/language"

	"github.com/dingbridge/dingbridge/storage"
)

// fillUserinfo sets the claims released to a client for a user, reading
// the user, its bindings and the session from storage (the ID token's
// claims; userinfo reads them with the token, fillTokenUserinfo). The
// DingTalk binding they come from is the one of the session's corp; when
// the session is gone (or the token has none, as after a refresh), the
// most recently used binding.
func (p *Provider) fillUserinfo(ctx context.Context, info *oidc.UserInfo, subject, clientID, sessionID string, scopes []string) error {
	u, err := p.store.GetUser(ctx, subject)
	if err != nil {
		return fmt.Errorf("get user: %w", err)
	}
	b, err := p.bindingFor(ctx, subject, sessionID)
	if err != nil {
		return err
	}
	return p.releaseClaims(ctx, info, u, b, clientID, scopes)
}

// fillTokenUserinfo is fillUserinfo for an access token read together
// with its user, bindings and session (storage.GetAccessTokenUser): the
// claims of the token's scopes, with no further read but the client's.
func (p *Provider) fillTokenUserinfo(ctx context.Context, info *oidc.UserInfo, tu storage.AccessTokenUser) error {
	b := pickBinding(tu.Bindings, tu.SessionFound, tu.SessionCorpID)
	return p.releaseClaims(ctx, info, tu.User, b, tu.Token.ClientID, tu.Token.Scopes)
}

// releaseClaims sets the claims of scopes that the policy of the client
// clientID releases for u and its binding b.
func (p *Provider) releaseClaims(ctx context.Context, info *oidc.UserInfo, u storage.User, b *storage.Binding, clientID string, scopes []string) error {
	c, err := p.store.GetClient(ctx, clientID)
	if err != nil {
		return fmt.Errorf("get client: %w", err)
	}
	setClaims(info, u, b, c.Policy, scopes)
	return nil
}

// bindingFor reads the user's bindings and picks the one whose profile a
// token's claims show (pickBinding); the session is read only when there
// is a choice.
func (p *Provider) bindingFor(ctx context.Context, subject, sessionID string) (*storage.Binding, error) {
	bindings, err := p.store.ListBindings(ctx, subject)
	if err != nil {
		return nil, fmt.Errorf("list bindings: %w", err)
	}
	var (
		sessionFound  bool
		sessionCorpID string
	)
	if len(bindings) > 1 && sessionID != "" {
		s, err := p.store.GetSession(ctx, sessionID, p.now())
		switch {
		case err == nil:
			sessionFound, sessionCorpID = true, s.CorpID
		case !errors.Is(err, storage.ErrNotFound):
			return nil, fmt.Errorf("get session: %w", err)
		}
	}
	return pickBinding(bindings, sessionFound, sessionCorpID), nil
}

// pickBinding picks the binding whose profile a token's claims show: the
// only binding, whatever the session says; else the binding of the corp
// of the token's session while that session lives (sessionFound); else
// the most recently used binding. nil when the user has none.
func pickBinding(bindings []storage.Binding, sessionFound bool, sessionCorpID string) *storage.Binding {
	switch len(bindings) {
	case 0:
		return nil
	case 1:
		return &bindings[0]
	}
	if sessionFound {
		for i := range bindings {
			if bindings[i].CorpID == sessionCorpID {
				return &bindings[i]
			}
		}
	}
	latest := &bindings[0]
	for i := range bindings {
		if bindings[i].LastLoginAt.After(latest.LastLoginAt) {
			latest = &bindings[i]
		}
	}
	return latest
}

// releasedScopes are the scopes whose claims a client receives: those of
// the token plus the policy's AlwaysRelease scopes, except phone, which
// must always be requested.
func releasedScopes(scopes []string, policy storage.ClientPolicy) []string {
	out := slices.Clone(scopes)
	for _, s := range policy.AlwaysRelease {
		if s != oidc.ScopePhone && slices.Contains(supportedScopes, s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// setClaims maps a user's DingTalk profile to claims. b is the binding of
// the token's corp (nil: the user's latest profile, no DingTalk ids).
// Claims per released scope (releasedScopes):
//
//	profile:  name, nickname, preferred_username (job number, else the
//	          corp userId, else nick), picture, locale, updated_at, roles
//	email:    email + email_verified, per policy.Email — "org" (default):
//	          the org email, verified, or nothing when there is none;
//	          "directory": the directory email, unverified; "omit":
//	          nothing. DingTalk's users/me email is never used.
//	phone:    phone_number as +<state code><mobile> (state code 86 when
//	          DingTalk gives none), phone_number_verified true (the number
//	          is the corp directory's); only when requested, never through
//	          AlwaysRelease
//	groups:   groups — department names (default), "ids" or "paths" per
//	          policy.Groups, with every ancestor when GroupsParents — and
//	          roles
//	dingtalk: dingtalk {corp_id, corp_name, user_id, union_id, job_number,
//	          title, dept_ids}
//
// roles lists "admin" (corp administrator), "boss", "sub_admin" (DingTalk
// sys_level 2) and "app_admin" (logged in through the app's admin
// console). groups and roles are JSON arrays, empty rather than absent
// when their scope is released; every empty string claim is left out.
func setClaims(info *oidc.UserInfo, u storage.User, b *storage.Binding, policy storage.ClientPolicy, scopes []string) {
	info.Subject = u.Subject
	prof := u.Profile
	var corpID, userID, unionID string
	if b != nil {
		prof, corpID, userID, unionID = b.Profile, b.CorpID, b.UserID, b.UnionID
	}
	released := releasedScopes(scopes, policy)
	has := func(s string) bool { return slices.Contains(released, s) }
	if has(oidc.ScopeProfile) {
		info.Name = prof.Name
		info.Nickname = prof.Nick
		info.PreferredUsername = firstNonEmpty(prof.JobNumber, userID, prof.Nick)
		info.Picture = prof.Avatar
		if prof.Locale != "" {
			info.Locale = oidc.NewLocale(parseLocale(prof.Locale))
		}
		if !u.UpdatedAt.IsZero() {
			info.UpdatedAt = oidc.FromTime(u.UpdatedAt)
		}
	}
	if has(oidc.ScopeEmail) {
		switch policy.Email {
		case "", "org":
			if prof.OrgEmail != "" {
				info.Email, info.EmailVerified = prof.OrgEmail, true
			}
		case "directory":
			if prof.Email != "" {
				// UserInfo leaves a false email_verified out; say it.
				info.Email = prof.Email
				info.AppendClaims("email_verified", false)
			}
		}
	}
	if slices.Contains(scopes, oidc.ScopePhone) {
		if phone := phoneNumber(prof); phone != "" {
			info.PhoneNumber, info.PhoneNumberVerified = phone, true
		}
	}
	// groups and roles are arrays even when empty: relying parties map
	// them with JMESPath (Grafana's contains(groups[*], …)), which fails
	// on a missing claim but not on an empty list.
	if has(scopeGroups) {
		info.AppendClaims("groups", append([]string{}, groupClaim(prof.Departments, policy)...))
	}
	if has(oidc.ScopeProfile) || has(scopeGroups) {
		info.AppendClaims("roles", append([]string{}, roleClaim(prof)...))
	}
	if has(scopeDingTalk) {
		info.AppendClaims("dingtalk", dingTalkClaim{
			CorpID:    corpID,
			CorpName:  prof.CorpName,
			UserID:    userID,
			UnionID:   unionID,
			JobNumber: prof.JobNumber,
			Title:     prof.Title,
			DeptIDs:   deptIDs(prof),
		})
	}
}

// dingTalkClaim is the "dingtalk" claim.
type dingTalkClaim struct {
	CorpID    string  `json:"corp_id,omitempty"`
	CorpName  string  `json:"corp_name,omitempty"`
	UserID    string  `json:"user_id,omitempty"`
	UnionID   string  `json:"union_id,omitempty"`
	JobNumber string  `json:"job_number,omitempty"`
	Title     string  `json:"title,omitempty"`
	DeptIDs   []int64 `json:"dept_ids,omitempty"`
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// phoneNumber writes the directory's mobile number in E.164 form.
func phoneNumber(prof storage.Profile) string {
	mobile := strings.TrimSpace(prof.Mobile)
	switch {
	case mobile == "":
		return ""
	case strings.HasPrefix(mobile, "+"):
		return mobile
	}
	code := strings.TrimPrefix(strings.TrimSpace(prof.StateCode), "+")
	if code == "" {
		code = "86"
	}
	return "+" + code + mobile
}

// roleClaim derives roles from the profile's DingTalk flags.
func roleClaim(prof storage.Profile) []string {
	var roles []string
	if prof.Admin || prof.SysLevel == 1 {
		roles = append(roles, "admin")
	}
	if prof.Boss || prof.SysLevel == 100 {
		roles = append(roles, "boss")
	}
	if prof.SysLevel == 2 {
		roles = append(roles, "sub_admin")
	}
	if prof.AppAdmin {
		roles = append(roles, "app_admin")
	}
	return roles
}

// deptIDs returns the profile's department ids, from the departments when
// the list itself is missing.
func deptIDs(prof storage.Profile) []int64 {
	if len(prof.DeptIDs) > 0 {
		return prof.DeptIDs
	}
	var ids []int64
	for _, d := range prof.Departments {
		ids = append(ids, d.ID)
	}
	return ids
}

// groupClaim lists the person's departments as policy.Groups says. With
// GroupsParents, ancestors follow each department: ids from ParentIDs,
// names and paths from the department's path.
func groupClaim(depts []storage.Department, policy storage.ClientPolicy) []string {
	byID := make(map[int64]storage.Department, len(depts))
	for _, d := range depts {
		byID[d.ID] = d
	}
	var out []string
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, d := range depts {
		parts := splitPath(d.Path)
		switch policy.Groups {
		case "ids":
			add(strconv.FormatInt(d.ID, 10))
			if policy.GroupsParents {
				for _, id := range d.ParentIDs {
					add(strconv.FormatInt(id, 10))
				}
			}
		case "paths":
			add(firstNonEmpty(d.Path, d.Name))
			if policy.GroupsParents {
				for i := len(parts) - 1; i >= 1; i-- {
					add(strings.Join(parts[:i], "/"))
				}
			}
		default:
			add(d.Name)
			if !policy.GroupsParents {
				continue
			}
			if len(parts) > 1 {
				for i := len(parts) - 2; i >= 0; i-- {
					add(parts[i])
				}
				continue
			}
			for _, id := range d.ParentIDs {
				if parent, ok := byID[id]; ok {
					add(parent.Name)
				}
			}
		}
	}
	return out
}

func splitPath(path string) []string {
	if path == "" {
		return nil
	}
	return strings.Split(path, "/")
}

// parseLocale reads a DingTalk locale such as "zh_CN" as a BCP 47 tag.
func parseLocale(s string) language.Tag {
	t, err := language.Parse(strings.ReplaceAll(s, "_", "-"))
	if err != nil {
		return language.Und
	}
	return t
}
