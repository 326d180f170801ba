package dingtalk

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDecodeLenient(t *testing.T) {
	var v struct {
		ID      int64           `json:"dept_id"`
		IDs     []int64         `json:"dept_id_list"`
		Flag    bool            `json:"active"`
		Flag2   bool            `json:"admin"`
		Code    string          `json:"errcode"`
		Sub     string          `json:"sub_code"`
		ReqID   string          `json:"requestid"`
		Missing string          `json:"missing"`
		Empty   int64           `json:"empty"`
		Raw     json.RawMessage `json:"ext"`
		Nested  *struct {
			Leader bool `json:"leader"`
		} `json:"nested"`
	}
	data := `{"dept_id":"412345678901","dept_id_list":[5047320034,"2147483648"],"active":"true","admin":1,
		"errcode":0,"subCode":"60011","RequestId":"r-1","empty":"","ext":{"a":[1,"b"]},"nested":{"leader":"false"},"extra":{}}`
	if err := decodeLenient([]byte(data), &v); err != nil {
		t.Fatal(err)
	}
	if v.ID != 412345678901 || len(v.IDs) != 2 || v.IDs[0] != 5047320034 || v.IDs[1] != 2147483648 {
		t.Errorf("ids = %d %v", v.ID, v.IDs)
	}
	if !v.Flag || !v.Flag2 || v.Code != "0" || v.Sub != "60011" || v.ReqID != "r-1" || v.Empty != 0 {
		t.Errorf("decoded %+v", v)
	}
	if string(v.Raw) != `{"a":[1,"b"]}` {
		t.Errorf("raw = %s", v.Raw)
	}
	if v.Nested == nil || v.Nested.Leader {
		t.Errorf("nested = %+v", v.Nested)
	}
}

func TestDecodeLenientErrorsNameFieldNotValue(t *testing.T) {
	var v struct {
		Token string `json:"access_token"`
	}
	err := decodeLenient([]byte(`{"access_token":{"secret-value":1}}`), &v)
	if err == nil || !strings.Contains(err.Error(), "access_token") || strings.Contains(err.Error(), "secret-value") {
		t.Errorf("err = %v", err)
	}
	var n struct {
		N int64 `json:"n"`
	}
	if err := decodeLenient([]byte(`{"n":"12abc"}`), &n); err == nil || strings.Contains(err.Error(), "12abc") {
		t.Errorf("err = %v", err)
	}
}

// TestLenientFuzzyOnlyWhenNeeded checks the shortcut that skips the
// case- and underscore-blind matching when no key needs it: a key that is
// one field's exact name still fills another field it folds to, and a
// reply whose keys are all exact names decodes as before.
func TestLenientFuzzyOnlyWhenNeeded(t *testing.T) {
	var two struct {
		A string `json:"request_id"`
		B string `json:"requestid"`
		C string `json:"other"`
	}
	if err := decodeLenient([]byte(`{"requestid":"x","other":"o"}`), &two); err != nil {
		t.Fatal(err)
	}
	if two.A != "x" || two.B != "x" || two.C != "o" {
		t.Errorf("got %+v, want request_id and requestid both x, other o", two)
	}
	var exact struct {
		AccessToken string `json:"accessToken"`
		ExpireIn    int64  `json:"expireIn"`
		Missing     string `json:"missing"`
	}
	if err := decodeLenient([]byte(`{"accessToken":"t","expireIn":"7200","unrelated":1}`), &exact); err != nil {
		t.Fatal(err)
	}
	if exact.AccessToken != "t" || exact.ExpireIn != 7200 || exact.Missing != "" {
		t.Errorf("got %+v", exact)
	}
	var folded struct {
		SubCode string `json:"sub_code"`
	}
	if err := decodeLenient([]byte(`{"subCode":"s","ÄÖ":1}`), &folded); err != nil {
		t.Fatal(err)
	}
	if folded.SubCode != "s" {
		t.Errorf("subCode did not fold into sub_code: %+v", folded)
	}
}
