package resolve

import (
	"fmt"
	"slices"

	"github.com/dingbridge/dingbridge/storage"
)

// PolicyReason says why a client's policy refused a person.
type PolicyReason int

// Policy reasons, in the order Check tests them.
const (
	// UnknownCorp: the login is for a corp the bridge does not serve.
	UnknownCorp PolicyReason = iota + 1
	// CorpNotAllowed: the corp is not among the client's AllowedCorps
	// (or no corp could be determined and the client names some).
	CorpNotAllowed
	// NotMember: MembersOnly and the person is not a member of the corp.
	NotMember
	// NotInDepartment: the person is in none of RequiredDepartments nor
	// their sub-departments.
	NotInDepartment
	// Inactive: the directory says the account is not active and the
	// client does not AllowInactive.
	Inactive
)

// String returns the reason's name, for logs.
func (p PolicyReason) String() string {
	switch p {
	case UnknownCorp:
		return "unknown_corp"
	case CorpNotAllowed:
		return "corp_not_allowed"
	case NotMember:
		return "not_member"
	case NotInDepartment:
		return "not_in_department"
	case Inactive:
		return "inactive"
	}
	return fmt.Sprintf("PolicyReason(%d)", int(p))
}

// PolicyError is a refusal by a client's policy. The person gets a page
// saying why; the client gets access_denied.
type PolicyError struct {
	Reason PolicyReason
	// CorpID is the corp the login was for; "" when none was determined.
	CorpID string
}

// Error returns "resolve: policy refused: <reason> (corp <id>)".
func (e *PolicyError) Error() string {
	if e.CorpID == "" {
		return "resolve: policy refused: " + e.Reason.String()
	}
	return "resolve: policy refused: " + e.Reason.String() + " (corp " + e.CorpID + ")"
}

// Check applies a client's policy to a login result: nil, or a
// *PolicyError. The checks, in order: the corp is served (a result without
// a corp passes this check); AllowedCorps; MembersOnly; RequiredDepartments
// (a department matches when it or one of its ancestors is required); and
// inactive accounts, which are refused unless AllowInactive — only when the
// profile comes from the directory (Result.Directory), since other flows do
// not learn the account state.
func (r *Resolver) Check(res *Result, p storage.ClientPolicy) error {
	refuse := func(reason PolicyReason) error { return &PolicyError{Reason: reason, CorpID: res.CorpID} }
	if res.CorpID != "" {
		if _, ok := r.corps[res.CorpID]; !ok {
			return refuse(UnknownCorp)
		}
	}
	if len(p.AllowedCorps) > 0 && !slices.Contains(p.AllowedCorps, res.CorpID) {
		return refuse(CorpNotAllowed)
	}
	if p.MembersOnly && !res.Member {
		return refuse(NotMember)
	}
	if len(p.RequiredDepartments) > 0 && !inDepartments(res.Identity.Profile.Departments, p.RequiredDepartments) {
		return refuse(NotInDepartment)
	}
	if !p.AllowInactive && res.Directory && !res.Identity.Profile.Active {
		return refuse(Inactive)
	}
	return nil
}

// inDepartments reports whether one of deps, or one of their ancestors, is
// required.
func inDepartments(deps []storage.Department, required []int64) bool {
	for _, d := range deps {
		if slices.Contains(required, d.ID) {
			return true
		}
		for _, p := range d.ParentIDs {
			if slices.Contains(required, p) {
				return true
			}
		}
	}
	return false
}
