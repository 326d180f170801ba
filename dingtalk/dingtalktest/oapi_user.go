package dingtalktest

import (
	"net/http"
)

type getUserInfoResult struct {
	UserID            string `json:"userid"`
	UnionID           string `json:"unionid"`
	AssociatedUnionID string `json:"associated_unionid"`
	DeviceID          string `json:"device_id"`
	Name              string `json:"name"`
	Sys               bool   `json:"sys"`
	SysLevel          int    `json:"sys_level"`
}

type deptOrder struct {
	DeptID int64 `json:"dept_id"`
	Order  int64 `json:"order"`
}

type deptLeader struct {
	DeptID int64 `json:"dept_id"`
	Leader bool  `json:"leader"`
}

type userGetResult struct {
	UserID           string       `json:"userid"`
	UnionID          string       `json:"unionid"`
	Name             string       `json:"name"`
	Avatar           string       `json:"avatar,omitempty"`
	StateCode        string       `json:"state_code,omitempty"`
	Mobile           string       `json:"mobile,omitempty"`
	HideMobile       bool         `json:"hide_mobile"`
	Telephone        string       `json:"telephone,omitempty"`
	JobNumber        string       `json:"job_number"`
	Title            string       `json:"title"`
	Email            string       `json:"email,omitempty"`
	OrgEmail         string       `json:"org_email,omitempty"`
	WorkPlace        string       `json:"work_place,omitempty"`
	DeptIDList       []int64      `json:"dept_id_list"`
	DeptOrderList    []deptOrder  `json:"dept_order_list"`
	LeaderInDept     []deptLeader `json:"leader_in_dept"`
	HiredDate        int64        `json:"hired_date,omitempty"`
	Active           bool         `json:"active"`
	RealAuthed       bool         `json:"real_authed"`
	Senior           bool         `json:"senior"`
	Admin            bool         `json:"admin"`
	Boss             bool         `json:"boss"`
	ExclusiveAccount bool         `json:"exclusive_account"`
}

// handleGetUserInfo is E7: a JSAPI free-login code to the user.
func (s *Simulator) handleGetUserInfo(w http.ResponseWriter, r *http.Request) {
	p, t, c, ok := s.contactCall(w, r, PermBase)
	defer s.mu.Unlock()
	if !ok {
		return
	}
	cd, ok := s.takeCode(p["code"], CodeJSAPI, c.key, t.corpID)
	if !ok {
		topError(w, 40078, "不存在的临时授权码")
		return
	}
	u, ok := s.user(cd.corpID, cd.userID)
	if !ok || !s.visible(c, u) {
		topError(w, 40079, "不存在的授权信息")
		return
	}
	lvl := sysLevel(u)
	topResult(w, getUserInfoResult{
		UserID: u.UserID, UnionID: u.UnionID, DeviceID: shortHash("device", u.UnionID),
		Name: u.Name, Sys: lvl == 1 || lvl == 2, SysLevel: lvl,
	})
}

// handleUserGet is E8: user detail, with fields withheld by permission and
// for ISV tokens.
func (s *Simulator) handleUserGet(w http.ResponseWriter, r *http.Request) {
	p, t, c, ok := s.contactCall(w, r, PermGetMember)
	defer s.mu.Unlock()
	if !ok {
		return
	}
	if p["userid"] == "" {
		topError(w, 400002, "无效的参数: userid")
		return
	}
	u, ok := s.user(t.corpID, p["userid"])
	if !ok {
		topError(w, 60121, "找不到该用户")
		return
	}
	if !s.visible(c, u) {
		topError(w, 50002, "员工不在授权范围")
		return
	}
	topResult(w, s.userDetail(c, u))
}

func (s *Simulator) userDetail(c client, u User) userGetResult {
	res := userGetResult{
		UserID: u.UserID, UnionID: u.UnionID, Name: u.Name, Avatar: u.Avatar,
		JobNumber: u.JobNumber, Title: u.Title,
		DeptIDList: append([]int64{}, u.DeptIDs...),
		Active:     !u.Inactive, RealAuthed: !u.Inactive, Admin: u.Admin || sysLevel(u) == 1 || sysLevel(u) == 2,
		Boss: u.Boss || sysLevel(u) == 100, Senior: u.Boss,
		DeptOrderList: []deptOrder{}, LeaderInDept: []deptLeader{},
	}
	for _, id := range u.DeptIDs {
		d, _ := s.dept(u.CorpID, id)
		res.DeptOrderList = append(res.DeptOrderList, deptOrder{DeptID: id, Order: d.Order})
		res.LeaderInDept = append(res.LeaderInDept, deptLeader{DeptID: id, Leader: false})
	}
	// The personal-info permission gates work_place for every app, and
	// email for internal apps.
	if c.has(PermEmail) {
		res.WorkPlace = u.WorkPlace
	}
	if c.suite {
		return res // ISV apps never see contact details, org_email or hired_date.
	}
	res.Telephone, res.HiredDate, res.OrgEmail = u.Telephone, u.HiredDate, u.OrgEmail
	if u.Mobile != "" {
		res.StateCode = stateCode(u)
		if c.has(PermMobile) {
			res.Mobile = u.Mobile
		}
	}
	if c.has(PermEmail) {
		res.Email = u.Email
	}
	return res
}

// handleGetByUnionID is E9.
func (s *Simulator) handleGetByUnionID(w http.ResponseWriter, r *http.Request) {
	p, t, _, ok := s.contactCall(w, r, PermGetMember)
	defer s.mu.Unlock()
	if !ok {
		return
	}
	if p["unionid"] == "" {
		topError(w, 400002, "无效的参数: unionid")
		return
	}
	u, ok := s.userByUnionID(t.corpID, p["unionid"])
	if !ok {
		topError(w, 60121, "找不到该用户")
		return
	}
	topResult(w, map[string]any{"contact_type": 0, "userid": u.UserID})
}
