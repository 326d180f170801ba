package dingtalktest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/dingbridge/dingbridge/dingtalk/dingtalktest"
)

func ExampleNewServer() {
	dt := dingtalktest.NewServer()
	defer dt.Close()
	ada := dt.AddUser(dingtalktest.User{UnionID: "u1", Name: "Ada", Nick: "Ada"})

	// An in-app login: the page got a JSAPI code for Ada, the server trades it.
	code := dt.IssueCode(dingtalktest.CodeJSAPI, dingtalktest.DemoAppKey, ada.CorpID, ada.UserID)
	resp, _ := http.Get(dt.URL + "/gettoken?appkey=" + dingtalktest.DemoAppKey + "&appsecret=" + dingtalktest.DemoAppSecret)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()

	resp, _ = http.Post(dt.URL+"/topapi/v2/user/getuserinfo?access_token="+tok.AccessToken,
		"application/json", strings.NewReader(`{"code":"`+code+`"}`))
	var info struct {
		ErrCode int `json:"errcode"`
		Result  struct {
			UnionID string `json:"unionid"`
			Name    string `json:"name"`
		} `json:"result"`
	}
	json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	fmt.Println(info.ErrCode, info.Result.Name, info.Result.UnionID)
	// Output: 0 Ada u1
}
