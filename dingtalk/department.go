package dingtalk

import "context"

// RootDeptID is the id of every organisation's root department.
const RootDeptID int64 = 1

// Department is the E22 result (department detail). Fields not given to
// ISV apps or not set are empty.
type Department struct {
	DeptID                int64         `json:"dept_id"`                  // DeptID is the department id.
	Name                  string        `json:"name"`                     // Name is the department name.
	ParentID              int64         `json:"parent_id"`                // ParentID is the parent (RootDeptID at the top).
	Order                 int64         `json:"order"`                    // Order is the sort key among siblings.
	SourceIdentifier      string        `json:"source_identifier"`        // SourceIdentifier is the external source id.
	CreateDeptGroup       bool          `json:"create_dept_group"`        // CreateDeptGroup reports a department group chat.
	AutoAddUser           bool          `json:"auto_add_user"`            // AutoAddUser adds new members to the group chat.
	AutoApproveApply      bool          `json:"auto_approve_apply"`       // AutoApproveApply approves join requests.
	FromUnionOrg          bool          `json:"from_union_org"`           // FromUnionOrg reports a linked-org department.
	Tags                  string        `json:"tags"`                     // Tags are the department tags.
	DeptGroupChatID       string        `json:"dept_group_chat_id"`       // DeptGroupChatID is the group chat id.
	GroupContainSubDept   bool          `json:"group_contain_sub_dept"`   // GroupContainSubDept includes sub-departments in the chat.
	OrgDeptOwner          string        `json:"org_dept_owner"`           // OrgDeptOwner is the owner's userid.
	DeptManagerUserIDList []string      `json:"dept_manager_userid_list"` // DeptManagerUserIDList are the managers.
	OuterDept             bool          `json:"outer_dept"`               // OuterDept restricts the member view.
	OuterPermitDepts      []int64       `json:"outer_permit_depts"`       // OuterPermitDepts are departments visible to members.
	OuterPermitUsers      []string      `json:"outer_permit_users"`       // OuterPermitUsers are users visible to members.
	HideDept              bool          `json:"hide_dept"`                // HideDept hides the department.
	UserPermits           []string      `json:"user_permits"`             // UserPermits are users who see a hidden department.
	DeptPermits           []int64       `json:"dept_permits"`             // DeptPermits are departments that see a hidden one.
	Code                  string        `json:"code"`                     // Code is the department code.
	MemberCount           int64         `json:"member_count"`             // MemberCount counts members including sub-departments.
	OwningMemberCount     int64         `json:"owning_member_count"`      // OwningMemberCount counts direct members.
	UnionDeptExt          *UnionDeptExt `json:"union_dept_ext"`           // UnionDeptExt links a department of a linked org.
}

// UnionDeptExt names the linked organisation's department.
type UnionDeptExt struct {
	// DeptID is the department in CorpID.
	DeptID int64 `json:"deptId"`
	// CorpID is the linked organisation.
	CorpID string `json:"corpId"`
}

// Department returns a department's details (E22, POST
// /topapi/v2/department/get). language is "zh_CN", "en_US" or "".
func (cc *CorpClient) Department(ctx context.Context, deptID int64, language string) (*Department, error) {
	var d Department
	body := struct {
		DeptID   int64  `json:"dept_id"`
		Language string `json:"language,omitempty"`
	}{deptID, language}
	if err := cc.topapi(ctx, "/topapi/v2/department/get", body, false, nil, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// ParentDepartmentsByUser returns, for each department the user belongs to,
// its ancestor chain (E23, POST /topapi/v2/department/listparentbyuser).
// Each chain is expected to run from the department itself to the root.
func (cc *CorpClient) ParentDepartmentsByUser(ctx context.Context, userID string) ([][]int64, error) {
	var r struct {
		ParentList []struct {
			ParentDeptIDList []int64 `json:"parent_dept_id_list"`
		} `json:"parent_list"`
	}
	body := struct {
		UserID string `json:"userid"`
	}{userID}
	if err := cc.topapi(ctx, "/topapi/v2/department/listparentbyuser", body, false, nil, &r); err != nil {
		return nil, err
	}
	chains := make([][]int64, 0, len(r.ParentList))
	for _, p := range r.ParentList {
		chains = append(chains, p.ParentDeptIDList)
	}
	return chains, nil
}

// ParentDepartmentsByDept returns a department's ancestor chain, the
// department itself first and the root last (E24, POST
// /topapi/v2/department/listparentbydept).
func (cc *CorpClient) ParentDepartmentsByDept(ctx context.Context, deptID int64) ([]int64, error) {
	var r struct {
		ParentIDList []int64 `json:"parent_id_list"`
	}
	body := struct {
		DeptID int64 `json:"dept_id"`
	}{deptID}
	if err := cc.topapi(ctx, "/topapi/v2/department/listparentbydept", body, false, nil, &r); err != nil {
		return nil, err
	}
	return r.ParentIDList, nil
}
