package dingtalktest

import (
	"cmp"
	"net/http"
	"slices"
)

type deptGetResult struct {
	DeptID              int64  `json:"dept_id"`
	Name                string `json:"name"`
	ParentID            int64  `json:"parent_id,omitempty"`
	Order               int64  `json:"order"`
	CreateDeptGroup     bool   `json:"create_dept_group"`
	AutoAddUser         bool   `json:"auto_add_user"`
	AutoApproveApply    bool   `json:"auto_approve_apply"`
	FromUnionOrg        bool   `json:"from_union_org"`
	GroupContainSubDept bool   `json:"group_contain_sub_dept"`
	OuterDept           bool   `json:"outer_dept"`
	HideDept            bool   `json:"hide_dept"`
	MemberCount         int64  `json:"member_count"`
}

type subDept struct {
	DeptID          int64  `json:"dept_id"`
	Name            string `json:"name"`
	ParentID        int64  `json:"parent_id"`
	CreateDeptGroup bool   `json:"create_dept_group"`
	AutoAddUser     bool   `json:"auto_add_user"`
}

// contactCall does the shared part of the contact endpoints (users and
// departments): body, token and the permission perm. It answers and
// returns ok=false on failure; callers then release mu themselves (it is
// held on return either way).
func (s *Simulator) contactCall(w http.ResponseWriter, r *http.Request, perm string) (params, token, client, bool) {
	p, err := oapiBody(r)
	s.mu.Lock()
	if err != nil {
		topError(w, 400002, "无效的参数")
		return nil, token{}, client{}, false
	}
	t, ok := s.oapiToken(w, r, tokApp, tokCorp)
	if !ok {
		return nil, token{}, client{}, false
	}
	c, _ := s.clientOf(t)
	if !c.has(perm) {
		missingScope(w, perm)
		return nil, token{}, client{}, false
	}
	return p, t, c, true
}

// deptParam reads dept_id; def applies when it is absent.
func (s *Simulator) deptParam(w http.ResponseWriter, p params, corpID string, def int64) (Department, bool) {
	id := def
	if _, present := p["dept_id"]; present || def == 0 {
		var ok bool
		if id, ok = p.int64("dept_id"); !ok || id <= 0 {
			topError(w, 40009, "不合法的部门id")
			return Department{}, false
		}
	}
	d, ok := s.dept(corpID, id)
	if !ok {
		topError(w, 60003, "部门不存在")
		return Department{}, false
	}
	return d, true
}

// handleDepartmentGet is E22.
func (s *Simulator) handleDepartmentGet(w http.ResponseWriter, r *http.Request) {
	p, t, _, ok := s.contactCall(w, r, PermDepartmentList)
	defer s.mu.Unlock()
	if !ok {
		return
	}
	d, ok := s.deptParam(w, p, t.corpID, 0)
	if !ok {
		return
	}
	var n int64
	for _, u := range s.usersOf(t.corpID) {
		if slices.Contains(u.DeptIDs, d.ID) {
			n++
		}
	}
	topResult(w, deptGetResult{DeptID: d.ID, Name: d.Name, ParentID: parentOf(d), Order: d.Order, MemberCount: n})
}

// handleListParentByUser is E23: one ancestor chain per department of the
// user, own department first, root last.
func (s *Simulator) handleListParentByUser(w http.ResponseWriter, r *http.Request) {
	p, t, _, ok := s.contactCall(w, r, PermDepartmentList)
	defer s.mu.Unlock()
	if !ok {
		return
	}
	u, ok := s.user(t.corpID, p["userid"])
	if !ok {
		topError(w, 33012, "无效的userid")
		return
	}
	type parents struct {
		ParentDeptIDList []int64 `json:"parent_dept_id_list"`
	}
	list := []parents{}
	for _, id := range u.DeptIDs {
		list = append(list, parents{ParentDeptIDList: s.deptChain(u.CorpID, id)})
	}
	topResult(w, map[string]any{"parent_list": list})
}

// handleListParentByDept is E24.
func (s *Simulator) handleListParentByDept(w http.ResponseWriter, r *http.Request) {
	p, t, _, ok := s.contactCall(w, r, PermDepartmentList)
	defer s.mu.Unlock()
	if !ok {
		return
	}
	d, ok := s.deptParam(w, p, t.corpID, 0)
	if !ok {
		return
	}
	topResult(w, map[string]any{"parent_id_list": s.deptChain(t.corpID, d.ID)})
}

// children lists the direct sub-departments of parent, by order then id.
func (s *Simulator) children(corpID string, parent int64) []Department {
	var out []Department
	for _, d := range s.dir.Departments {
		if d.CorpID == corpID && d.ID != 1 && parentOf(d) == parent {
			out = append(out, d)
		}
	}
	slices.SortStableFunc(out, func(a, b Department) int {
		if c := cmp.Compare(a.Order, b.Order); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}

// handleListSub is E25 listsub (one level).
func (s *Simulator) handleListSub(w http.ResponseWriter, r *http.Request) {
	p, t, _, ok := s.contactCall(w, r, PermDepartmentList)
	defer s.mu.Unlock()
	if !ok {
		return
	}
	d, ok := s.deptParam(w, p, t.corpID, 1)
	if !ok {
		return
	}
	out := []subDept{}
	for _, c := range s.children(t.corpID, d.ID) {
		out = append(out, subDept{DeptID: c.ID, Name: c.Name, ParentID: d.ID})
	}
	topResult(w, out)
}

// handleListSubID is E25 listsubid (one level).
func (s *Simulator) handleListSubID(w http.ResponseWriter, r *http.Request) {
	p, t, _, ok := s.contactCall(w, r, PermDepartmentList)
	defer s.mu.Unlock()
	if !ok {
		return
	}
	d, ok := s.deptParam(w, p, t.corpID, 0)
	if !ok {
		return
	}
	ids := []int64{}
	for _, c := range s.children(t.corpID, d.ID) {
		ids = append(ids, c.ID)
	}
	topResult(w, map[string]any{"dept_id_list": ids})
}
