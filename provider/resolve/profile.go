package resolve

import (
	"context"
	"errors"
	"time"

	"github.com/dingbridge/dingbridge/dingtalk"
	"github.com/dingbridge/dingbridge/storage"
)

// fillMember reads userID's details in cc's corp (E8) and departments, and
// makes res a member result. base holds what the login call said (E3/E12
// nick and avatar, E7 sys_level, SSO name and email).
func (r *Resolver) fillMember(ctx context.Context, res *Result, cc *dingtalk.CorpClient, userID string, base storage.Profile) error {
	u, err := cc.User(ctx, userID, r.lang)
	if err != nil {
		return err
	}
	return r.fillMemberFrom(ctx, res, cc, userID, u, base)
}

// fillMemberFrom is fillMember with userID's E8 reply u already read.
func (r *Resolver) fillMemberFrom(ctx context.Context, res *Result, cc *dingtalk.CorpClient, userID string, u *dingtalk.User, base storage.Profile) error {
	corpID := cc.CorpID()
	p := profileFromUser(u, base)
	p.CorpName = firstNonEmpty(r.corpName(corpID), base.CorpName)
	var err error
	p.Departments, err = r.departments(ctx, cc, corpID, userID, u.DeptIDList)
	if err != nil {
		return err
	}
	res.CorpID = corpID
	res.Member, res.Directory = true, true
	res.Identity = storage.Identity{
		CorpID:  corpID,
		UserID:  firstNonEmpty(u.UserID, userID),
		UnionID: firstNonEmpty(u.UnionID, res.Identity.UnionID),
		Profile: p,
	}
	return nil
}

// profileFromUser is the profile snapshot of an E8 reply. The directory wins
// over base; base's email (E3's personal email, the SSO email) is kept only
// when the directory has none, and stays a directory-grade (unverified)
// address: OrgEmail comes from E8 alone.
func profileFromUser(u *dingtalk.User, base storage.Profile) storage.Profile {
	p := storage.Profile{
		Name:      firstNonEmpty(u.Name, base.Name),
		Nick:      base.Nick,
		Avatar:    firstNonEmpty(u.Avatar, base.Avatar),
		Email:     firstNonEmpty(u.Email, base.Email),
		OrgEmail:  u.OrgEmail,
		Mobile:    u.Mobile,
		StateCode: u.StateCode,
		JobNumber: u.JobNumber,
		Title:     u.Title,
		DeptIDs:   append([]int64(nil), u.DeptIDList...),
		Admin:     u.Admin || base.Admin,
		Boss:      u.Boss,
		SysLevel:  base.SysLevel,
		Active:    u.Active,
		AppAdmin:  base.AppAdmin,
	}
	if u.HiredDate > 0 {
		t := time.UnixMilli(u.HiredDate).UTC()
		p.HiredDate = &t
	}
	return p
}

// degradable reports a department lookup failure that should not fail the
// login: the department is gone, hidden from the app, or the app may not
// read departments. The login then carries department ids without names.
func degradable(err error) bool {
	if dingtalk.IsKind(err, dingtalk.KindNoPermission) || dingtalk.IsKind(err, dingtalk.KindNotMember) {
		return true
	}
	var ae *dingtalk.APIError
	if errors.As(err, &ae) {
		switch ae.Code {
		case "60003", "40009", "43007", "33012":
			return true
		}
	}
	return false
}
