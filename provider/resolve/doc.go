// Package resolve answers "who is this person" for every DingTalk login
// flow. It holds the DingTalk app registry (internal apps one per corp, ISV
// suites serving many corps, legacy login apps, admin-console SSO secrets),
// found by corpId (seed 002 getAuthByCorpId) or by app key; keeps DingTalk
// access tokens in the storage cache table, encrypted (NewTokenStore); keeps
// pushed suite tickets in the database (SetSuiteTicket); turns one DingTalk
// code into a storage.Identity with a complete storage.Profile; and checks a
// client's policy (Check).
//
// It imports dingtalk and storage only; it knows nothing of OIDC or HTTP.
//
// # Flows
//
// Each flow takes one one-time DingTalk code; never call it twice with the
// same code. DingTalk errors come back as they are (*dingtalk.APIError, test
// the class with errors.Is(err, dingtalk.KindCodeInvalid) and friends),
// wrapped with the flow ("resolve workspace: …").
//
//	Flow          Method       DingTalk calls, warm caches, returning person  warm first cold  AMR
//	new OAuth2    QR           E2 → E3 → E8                                      3     4    8  oauth2
//	legacy sns    SNS          E12 → E8                                          2     3    7  sns
//	workspace     Workspace    E7 → E8                                           2     2    6  workspace
//	mini program  MiniProgram  E7 → E8                                           2     2    6  mini_program
//	admin SSO     Admin        E16 (or E15) → E8                                 2     2    7  admin_console
//
// Warm means tokens and departments cached and a person this Resolver has
// already mapped into the corp. QR and SNS learn the userid through E9
// (getbyunionid); a Resolver remembers in memory, for up to 10 000 people
// (starting over when full), the userid E9 gave for a (corp, unionid) once
// E8 confirmed it, and the person's next login reads E8 with it directly,
// keeping the reply only when it carries the same unionid (see Identity).
// Nothing of it is stored. The first column is a person the Resolver has not
// mapped yet (after a restart, or on another replica): E9 comes before E8. A
// cold cache adds the token fetches (app or suite corp token, SSO token,
// suite token) and one E22 per department on the person's paths not yet
// cached; E23 is called only when a department on the way cannot be read.
// The cold column is a person in two departments with three distinct
// departments on their paths (the demo directory's Alice Wang).
//
// The counts are asserted by the package tests against the simulator.
//
// # Identity
//
// Every id a flow learns is filled in (corpId + userid and unionid), so
// storage.CompleteLogin links them: the same person gets the same subject
// through every flow and every corp (a binding per corp). QR and SNS learn
// the unionid, then the userid through E9 in the corp (E2's corpId for
// scope "openid corpid", else the hint, else the app's corp). A person E9
// does not find (60121) or finds as an external contact is a non-member:
// Result.Member is false and the identity is the unionid alone. A returning
// person's remembered userid is only a shortcut to the same answer: when E8
// no longer finds it, finds it outside the app's visible range, or answers
// with another unionid, it is forgotten and E9 → E8 decide as on a first
// login; other E8 failures are returned as they are. Admin SSO
// learns (corpId, userId) and reads E8 with the corp's app token (internal
// app, or the suite's corp token) to learn the unionid; without such a
// token the identity is (corp, userId) only — that person's subject then
// joins their other logins in the same corp through the userid.
//
// The profile comes from E8 (name, avatar, mobile, state_code, email,
// org_email, job_number, title, hired_date, dept_id_list, admin, boss,
// active), E7's sys_level (workspace and mini program only), E3's or E12's
// nick, and the configured corp name. E3's email is the person's own
// address: it is kept as Email only when the directory has none and never
// becomes OrgEmail.
//
// # Departments
//
// Department names and parents come from E22, cached in the storage cache
// table under "dept:<corp>:<id>:<lang>" for Config.DepartmentCacheTTL. A
// Resolver also keeps the departments it read or wrote in memory until their
// rows expire, so a warm login reads no cache row for them.
// Ancestors are found by walking parent ids through that cache, so a warm
// cache costs no call; E23 (listparentbyuser) is used only when a department
// on the way is unreadable. Department.Path joins the names from the root
// down without the root department (id 1, the corp itself), e.g.
// "研发部/后端组"; the root department's own path is its name.
//
// # Corps served twice
//
// A corp served by an internal app and by a suite is listed once, through
// the internal app (workspace logins, directory reads, CorpInfo); QR logins
// through the suite read the directory with the suite's corp token.
package resolve
