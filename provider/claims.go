package provider

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/text/language"

	"github.com/dingbridge/dingbridge/storage"
)

// fillUserinfo sets the claims the scopes release for a user, as the
// client's policy maps them.
func (p *Provider) fillUserinfo(ctx context.Context, info *oidc.UserInfo, subject, clientID string, scopes []string) error {
	u, err := p.store.GetUser(ctx, subject)
	if err != nil {
		return fmt.Errorf("get user: %w", err)
	}
	c, err := p.store.GetClient(ctx, clientID)
	if err != nil {
		return fmt.Errorf("get client: %w", err)
	}
	setClaims(info, u, c.Policy, scopes)
	return nil
}

// setClaims maps a user's profile to standard claims per scope:
//
//	profile: name, nickname, picture, locale, updated_at
//	email:   email + email_verified, per policy.Email — "org" (default):
//	         the org email, verified; "directory": the directory email,
//	         unverified; "omit": nothing
//	phone:   phone_number (unverified)
//	groups:  groups, per policy.Groups — department "names" (default),
//	         "ids" or "paths"; with GroupsParents, ancestors too
func setClaims(info *oidc.UserInfo, u storage.User, policy storage.ClientPolicy, scopes []string) {
	info.Subject = u.Subject
	prof := u.Profile
	for _, scope := range scopes {
		switch scope {
		case oidc.ScopeProfile:
			info.Name = prof.Name
			info.Nickname = prof.Nick
			info.Picture = prof.Avatar
			if prof.Locale != "" {
				info.Locale = oidc.NewLocale(parseLocale(prof.Locale))
			}
			if !u.UpdatedAt.IsZero() {
				info.UpdatedAt = oidc.FromTime(u.UpdatedAt)
			}
		case oidc.ScopeEmail:
			switch policy.Email {
			case "", "org":
				if prof.OrgEmail != "" {
					info.Email, info.EmailVerified = prof.OrgEmail, true
				}
			case "directory":
				if prof.Email != "" {
					info.Email, info.EmailVerified = prof.Email, false
				}
			}
		case oidc.ScopePhone:
			info.PhoneNumber = prof.Mobile
		case scopeGroups:
			if groups := groupClaim(prof.Departments, policy); len(groups) > 0 {
				info.AppendClaims("groups", groups)
			}
		}
	}
}

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
		switch policy.Groups {
		case "ids":
			add(strconv.FormatInt(d.ID, 10))
			if policy.GroupsParents {
				for _, id := range d.ParentIDs {
					add(strconv.FormatInt(id, 10))
				}
			}
		case "paths":
			add(d.Path)
			if policy.GroupsParents {
				parts := strings.Split(d.Path, "/")
				for i := 1; i < len(parts); i++ {
					add(strings.Join(parts[:i], "/"))
				}
			}
		default:
			add(d.Name)
			if policy.GroupsParents {
				for _, id := range d.ParentIDs {
					if parent, ok := byID[id]; ok {
						add(parent.Name)
					}
				}
			}
		}
	}
	return out
}

// parseLocale reads a DingTalk locale such as "zh_CN" as a BCP 47 tag.
func parseLocale(s string) language.Tag {
	t, err := language.Parse(strings.ReplaceAll(s, "_", "-"))
	if err != nil {
		return language.Und
	}
	return t
}
