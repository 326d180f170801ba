package dingtalktest

import "time"

// Identifiers of DemoDirectory, for tests and for printing demo credentials.
// None of them is a real DingTalk credential.
const (
	DemoCorpID    = "ding6f3c1e9a2b7d4c8e0f5a1b2c3d4e5f60" // 杭州云桥科技有限公司
	DemoCorpName  = "杭州云桥科技有限公司"
	DemoCorp2ID   = "dingd0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5" // Acme Trading Ltd.
	DemoCorp2Name = "Acme Trading Ltd."

	DemoAppKey     = "dingq7wz3k9x2m5p8r1v"
	DemoAppSecret  = "Xy3kP9mQ2rT7vW1zB4nC6dF8gH0jK5lM3sA9uE2iO7pR1tY4wQ6zX8cV0bN2mL5k"
	DemoAgentID    = 3145926535
	DemoApp2Key    = "dingb4n8c2x6z0v3m7q1"
	DemoApp2Secret = "Lm2Nb4Vc6Xz8Qw0Er2Ty4Ui6Op8As0Df2Gh4Jk6Lz8Xc0Vb2Nm4Qw6Er8Ty0Ui2O"
	DemoAgent2ID   = 2718281828

	DemoSSOSecret  = "sso-Yq8Wd3Kp6Zr1Tx4Nc7Vb0Mf2Hj5Lg9Se3Ua6Io1Pe4Rw7Ty0Qu3Zx6Cv9Bn2M"
	DemoSSO2Secret = "sso-Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3Ab4Cd5Ef6Gh7Ij8Kl9Mn0O"

	DemoSuiteKey    = "suitexk4m8q2w6e0r3t7"
	DemoSuiteSecret = "Qz9Xw8Ec7Rv6Tb5Yn4Um3Ik2Ol1Pa0Sd9Fg8Hj7Kl6Zx5Cv4Bn3Mq2We1Rt0Yu9I"
	DemoSuiteTicket = "demo-suite-ticket-2f7c9e4a1b"

	DemoLoginAppID     = "dingoaz5k8m1q4w7e2r6"
	DemoLoginAppSecret = "Pl0Ok9Ij8Uh7Yg6Tf5Rd4Es3Wa2Qz1Xs0Cd9Vf8Bg7Nh6Mj5Ku4Ly3Zt2Xr1Ce0V"

	// DemoPassword is the password of every demo user.
	DemoPassword = "dingtalk123"

	// DemoSharedUnionID is the person in both demo corps (Alice Wang).
	DemoSharedUnionID = "iPk3QoZ7eWn2Rx9Lm4VtYsAbCiEiE"
)

// DemoDirectory returns a small ready-made world: two corps, Chinese and
// English named people in nested departments (ids above 2^31), one internal
// app per corp with every permission, SSO secrets, an ISV suite authorized
// by both corps and a legacy login app. Alice Wang is a member of both corps
// under one unionId; 王五 is inactive; 张三 is the admin and 李四 the boss
// of the first corp; Bob Smith is the admin of the second.
func DemoDirectory() Directory {
	hired := func(y int, m time.Month, d int) int64 {
		return time.Date(y, m, d, 0, 0, 0, 0, time.FixedZone("CST", 8*3600)).UnixMilli()
	}
	const (
		rd      = 4295067296 // 研发部
		backend = 4295067297 // 后端组
		mkt     = 4295067298 // 市场部
		sales   = 5368709121 // Sales
	)
	return Directory{
		Corps: []Corp{
			{CorpID: DemoCorpID, Name: DemoCorpName, SSOSecret: DemoSSOSecret},
			{CorpID: DemoCorp2ID, Name: DemoCorp2Name, SSOSecret: DemoSSO2Secret},
		},
		Departments: []Department{
			{CorpID: DemoCorpID, ID: 1, Name: DemoCorpName},
			{CorpID: DemoCorpID, ID: rd, Name: "研发部", ParentID: 1, Order: 1},
			{CorpID: DemoCorpID, ID: backend, Name: "后端组", ParentID: rd, Order: 1},
			{CorpID: DemoCorpID, ID: mkt, Name: "市场部", ParentID: 1, Order: 2},
			{CorpID: DemoCorp2ID, ID: 1, Name: DemoCorp2Name},
			{CorpID: DemoCorp2ID, ID: sales, Name: "Sales", ParentID: 1, Order: 1},
		},
		Users: []User{
			{CorpID: DemoCorpID, UserID: "manager4721", UnionID: "Zs3nGkT8pQ2wXc5vBn7mLa9dFiEiE", Name: "张三", Nick: "三哥",
				Mobile: "13800138001", StateCode: "86", Email: "zhangsan@example.com", OrgEmail: "zhangsan@yunqiao.example",
				JobNumber: "YQ001", Title: "技术总监", HiredDate: hired(2016, 3, 1), DeptIDs: []int64{rd},
				Admin: true, SysLevel: 1, Password: DemoPassword},
			{CorpID: DemoCorpID, UserID: "boss0001", UnionID: "Ls8hJd2kQ9wEr4tYu6iOp1aSdiEiE", Name: "李四",
				Mobile: "13900139002", StateCode: "86", Email: "lisi@example.com", OrgEmail: "lisi@yunqiao.example",
				JobNumber: "YQ000", Title: "创始人 & CEO", HiredDate: hired(2015, 1, 5), DeptIDs: []int64{1},
				Boss: true, Password: DemoPassword},
			{CorpID: DemoCorpID, UserID: "alice.wang", UnionID: DemoSharedUnionID, Name: "Alice Wang", Nick: "Alice",
				Mobile: "13700137003", StateCode: "86", Email: "alice@example.com", OrgEmail: "alice.wang@yunqiao.example",
				JobNumber: "YQ017", Title: "Backend Engineer", HiredDate: hired(2021, 7, 12), DeptIDs: []int64{backend, mkt},
				Password: DemoPassword},
			{CorpID: DemoCorpID, UserID: "wangwu", UnionID: "Ww5xCv7bNm9qWe1rTy3uIo5pAsiEiE", Name: "王五",
				Mobile: "13600136004", StateCode: "86", Email: "wangwu@example.com",
				JobNumber: "YQ023", Title: "实习生", DeptIDs: []int64{mkt}, Inactive: true, Password: DemoPassword},
			{CorpID: DemoCorp2ID, UserID: "0150123456781234", UnionID: DemoSharedUnionID, Name: "Alice Wang", Nick: "Alice",
				Mobile: "13700137003", StateCode: "86", Email: "alice@example.com",
				JobNumber: "A-102", Title: "Consultant", HiredDate: hired(2023, 2, 20), DeptIDs: []int64{sales},
				Password: DemoPassword},
			{CorpID: DemoCorp2ID, UserID: "bob.smith", UnionID: "Bs2mKt6hYu8jNb3vCx5zLq7wPeiEiE", Name: "Bob Smith", Nick: "Bob",
				Mobile: "2025550143", StateCode: "1", Email: "bob@example.com", OrgEmail: "bob@acme.example",
				JobNumber: "A-001", Title: "Managing Director", HiredDate: hired(2012, 9, 3), DeptIDs: []int64{1, sales},
				Admin: true, SysLevel: 1, Password: DemoPassword},
		},
		Apps: []App{
			{CorpID: DemoCorpID, Name: "云桥登录 (dingbridge demo)", AppKey: DemoAppKey, AppSecret: DemoAppSecret,
				AgentID: DemoAgentID, Permissions: AllPermissions()},
			{CorpID: DemoCorp2ID, Name: "Acme SSO (dingbridge demo)", AppKey: DemoApp2Key, AppSecret: DemoApp2Secret,
				AgentID: DemoAgent2ID, Permissions: AllPermissions()},
		},
		Suites: []Suite{
			{Name: "Bridge Cloud (ISV demo)", SuiteKey: DemoSuiteKey, SuiteSecret: DemoSuiteSecret, Ticket: DemoSuiteTicket,
				AuthorizedCorps: []string{DemoCorpID, DemoCorp2ID}, Permissions: AllPermissions()},
		},
		LoginApps: []LoginApp{
			{Name: "扫码登录 (legacy demo)", AppID: DemoLoginAppID, AppSecret: DemoLoginAppSecret},
		},
	}
}
