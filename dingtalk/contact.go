package dingtalk

import (
	"context"
	"encoding/json"
	"net/http"
)

// CorpClient calls the oapi /topapi/* contact APIs of one organisation with
// an app or ISV corp access token, which it fetches, caches and renews.
// Obtain one from Client.App (embedded in AppClient) or SuiteClient.Corp.
type CorpClient struct {
	c      *Client
	corpID string
	src    *tokenSource
}

// CorpID returns the organisation the handle was made for (empty for an
// App without CorpID).
func (cc *CorpClient) CorpID() string { return cc.corpID }

// AccessToken returns the cached access token, fetching it when missing or
// about to expire. Use it for oapi calls this package does not wrap.
func (cc *CorpClient) AccessToken(ctx context.Context) (string, error) {
	return cc.src.token(ctx)
}

// topapi POSTs body to an oapi /topapi path with the access token and
// decodes the reply's "result" into result.
func (cc *CorpClient) topapi(ctx context.Context, path string, body any, oneTime bool, secrets []string, result any) error {
	reply := struct {
		Result any `json:"result"`
	}{Result: result}
	policy := retryIdempotent
	if oneTime {
		policy = retryBeforeSend
	}
	return cc.src.withToken(ctx, func(token string) error {
		return cc.c.do(ctx, &call{
			host: oapiHost, method: http.MethodPost, path: path,
			token: token, body: body, retry: policy,
			secrets: append([]string{token}, secrets...),
		}, &reply)
	})
}

// CodeUserInfo is the E7 result: who opened the in-app page.
type CodeUserInfo struct {
	// UserID is the user's id in this organisation.
	UserID string `json:"userid"`
	// UnionID is the developer-account-wide id.
	UnionID string `json:"unionid"`
	// AssociatedUnionID is the unionid of an associated (linked) account.
	AssociatedUnionID string `json:"associated_unionid"`
	// DeviceID is the device id.
	DeviceID string `json:"device_id"`
	// Name is the user's name.
	Name string `json:"name"`
	// Sys reports an administrator.
	Sys bool `json:"sys"`
	// SysLevel is 1 main admin, 2 sub-admin, 100 boss, 0 other.
	SysLevel int64 `json:"sys_level"`
}

// UserInfoByCode exchanges an in-app JSAPI code (dd.requestAuthCode,
// dd.runtime.permission.requestAuthCode, dd.getAuthCode) for the user (E7,
// POST /topapi/v2/user/getuserinfo). The code is one-time: the call is
// never repeated once it may have reached DingTalk.
func (cc *CorpClient) UserInfoByCode(ctx context.Context, code string) (*CodeUserInfo, error) {
	var r CodeUserInfo
	body := struct {
		Code string `json:"code"`
	}{code}
	if err := cc.topapi(ctx, "/topapi/v2/user/getuserinfo", body, true, []string{code}, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// User is the E8 result (user detail). Optional fields are empty when
// unset, not permitted, or not given to ISV apps.
type User struct {
	UserID               string            `json:"userid"`                 // UserID is the id in this organisation, immutable.
	UnionID              string            `json:"unionid"`                // UnionID is the developer-account-wide id.
	Name                 string            `json:"name"`                   // Name is the real name.
	Avatar               string            `json:"avatar"`                 // Avatar is absent for the default avatar.
	StateCode            string            `json:"state_code"`             // StateCode is the calling code ("86").
	Mobile               string            `json:"mobile"`                 // Mobile needs the mobile permission.
	HideMobile           bool              `json:"hide_mobile"`            // HideMobile hides the number on the profile.
	Telephone            string            `json:"telephone"`              // Telephone is the extension.
	JobNumber            string            `json:"job_number"`             // JobNumber is the employee number.
	Title                string            `json:"title"`                  // Title is the job title.
	Email                string            `json:"email"`                  // Email is the directory email.
	OrgEmail             string            `json:"org_email"`              // OrgEmail is the enterprise mailbox.
	OrgEmailType         string            `json:"org_email_type"`         // OrgEmailType is "profession" or "base".
	WorkPlace            string            `json:"work_place"`             // WorkPlace is the office location.
	Remark               string            `json:"remark"`                 // Remark is a free-text note.
	DeptIDList           []int64           `json:"dept_id_list"`           // DeptIDList are the user's departments.
	DeptOrderList        []DeptOrder       `json:"dept_order_list"`        // DeptOrderList is the order in each department.
	LeaderInDept         []DeptLeader      `json:"leader_in_dept"`         // LeaderInDept flags leadership per department.
	ManagerUserID        string            `json:"manager_userid"`         // ManagerUserID is the direct manager.
	Extension            string            `json:"extension"`              // Extension is custom attributes as JSON text.
	HiredDate            int64             `json:"hired_date"`             // HiredDate is in ms since the epoch.
	Active               bool              `json:"active"`                 // Active reports an activated account.
	RealAuthed           bool              `json:"real_authed"`            // RealAuthed reports real-name verification.
	Senior               bool              `json:"senior"`                 // Senior reports an executive.
	Admin                bool              `json:"admin"`                  // Admin reports a corp administrator.
	Boss                 bool              `json:"boss"`                   // Boss reports the corp owner.
	ExclusiveAccount     bool              `json:"exclusive_account"`      // ExclusiveAccount reports an exclusive account.
	ExclusiveAccountType string            `json:"exclusive_account_type"` // ExclusiveAccountType is "sso" or "dingtalk".
	LoginID              string            `json:"loginId"`                // LoginID is the exclusive-account login name.
	RoleList             []Role            `json:"role_list"`              // RoleList are the user's roles.
	UnionEmpExt          *UnionEmpExt      `json:"union_emp_ext"`          // UnionEmpExt links accounts of linked orgs.
	DeptPositionList     []json.RawMessage `json:"dept_position_list"`     // DeptPositionList are positions per department.
	ExtensionI18n        json.RawMessage   `json:"extension_i18n"`         // ExtensionI18n are i18n custom attributes.
}

// DeptOrder is the user's order within one department.
type DeptOrder struct {
	// DeptID is the department.
	DeptID int64 `json:"dept_id"`
	// Order is the sort key.
	Order int64 `json:"order"`
}

// DeptLeader says whether the user leads one department.
type DeptLeader struct {
	// DeptID is the department.
	DeptID int64 `json:"dept_id"`
	// Leader reports a department leader.
	Leader bool `json:"leader"`
}

// Role is one of the user's roles.
type Role struct {
	// ID is the role id.
	ID int64 `json:"id"`
	// Name is the role name.
	Name string `json:"name"`
	// GroupName is the role group.
	GroupName string `json:"group_name"`
}

// UnionEmpExt describes the user's accounts in linked organisations.
type UnionEmpExt struct {
	// UserID is the user's id in CorpID.
	UserID string `json:"userid"`
	// CorpID is the organisation.
	CorpID string `json:"corp_id"`
	// UnionEmpMapList are the linked accounts.
	UnionEmpMapList []UnionEmpMap `json:"union_emp_map_list"`
}

// UnionEmpMap is one linked account.
type UnionEmpMap struct {
	// UserID is the user's id in CorpID.
	UserID string `json:"userid"`
	// CorpID is the linked organisation.
	CorpID string `json:"corp_id"`
}

// User returns a user's details (E8, POST /topapi/v2/user/get). language is
// "zh_CN", "en_US" or "" for DingTalk's default.
func (cc *CorpClient) User(ctx context.Context, userID, language string) (*User, error) {
	var u User
	body := struct {
		UserID   string `json:"userid"`
		Language string `json:"language,omitempty"`
	}{userID, language}
	if err := cc.topapi(ctx, "/topapi/v2/user/get", body, false, nil, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// Contact types of UnionIDUser.
const (
	// ContactInternal is an employee of the organisation.
	ContactInternal = 0
	// ContactExternal is an external contact.
	ContactExternal = 1
)

// UnionIDUser is the E9 result.
type UnionIDUser struct {
	// ContactType is ContactInternal or ContactExternal.
	ContactType int64 `json:"contact_type"`
	// UserID is the user's id in this organisation.
	UserID string `json:"userid"`
}

// UserIDByUnionID maps a unionid to the user in this organisation (E9,
// POST /topapi/user/getbyunionid). A user outside the organisation is
// KindNotMember (60121); check ContactType too.
func (cc *CorpClient) UserIDByUnionID(ctx context.Context, unionID string) (*UnionIDUser, error) {
	var r UnionIDUser
	body := struct {
		UnionID string `json:"unionid"`
	}{unionID}
	if err := cc.topapi(ctx, "/topapi/user/getbyunionid", body, false, nil, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
