package dingtalk

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// lenientTargets are the types the differential test decodes every input
// into: the replies the client reads, and shapes that exercise each rule
// (folded and repeated names, every kind, maps, interfaces, raw JSON).
func lenientTargets() []any {
	type kinds struct {
		S   string            `json:"s"`
		I   int64             `json:"i"`
		I8  int8              `json:"i8"`
		U   uint              `json:"u"`
		F   float64           `json:"f"`
		B   bool              `json:"b"`
		P   *int64            `json:"p"`
		PS  *struct{ X int }  `json:"ps"`
		L   []int64           `json:"l"`
		LS  []string          `json:"ls"`
		Raw json.RawMessage   `json:"raw"`
		Any any               `json:"any"`
		Arr [2]int            `json:"arr"`
		M   map[string]string `json:"m"`
	}
	type folding struct {
		A  string `json:"request_id"`
		B  string `json:"requestid"`
		C  string `json:"RequestID"`
		D  string `json:"sub_code"`
		E  int    `json:"Code"`
		F  string `json:"code"`
		G  string `json:"dup"`
		Un string
	}
	type nested struct {
		Result *User       `json:"result"`
		List   []DeptOrder `json:"list"`
		Inner  struct {
			Leader bool     `json:"leader"`
			Deep   *folding `json:"deep"`
		} `json:"inner"`
	}
	return []any{
		new(envelope), new(User), new(tokenReply), new(UserToken), new(UserProfile),
		new(SNSUserInfo), new(AuthInfo), new(Department), new(CodeUserInfo), new(SSOUserInfo),
		new(kinds), new(folding), new(nested),
		new(any), new(string), new(int64), new(bool), new([]int64), new(map[string]int64),
		new(json.RawMessage),
	}
}

// hasMap reports whether decoding into t can fail in more than one map
// entry, where the reference reports whichever Go's map order gives.
func hasMap(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Map:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return hasMap(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if hasMap(t.Field(i).Type) {
				return true
			}
		}
	}
	return false
}

// checkAgainstTree decodes data with decodeLenient and with the tree
// reference into fresh values of every target type and reports any
// difference: in syntax errors, in field errors, in what is decoded.
func checkAgainstTree(t *testing.T, data []byte) {
	t.Helper()
	_, treeErr := parseTree(data)
	doc, docErr := parseLenient(data)
	if (treeErr == nil) != (docErr == nil) {
		t.Fatalf("%q: encoding/json says %v, parseLenient says %v", data, treeErr, docErr)
	}
	if docErr != nil {
		return
	}
	for _, target := range lenientTargets() {
		typ := reflect.TypeOf(target).Elem()
		want := reflect.New(typ)
		got := reflect.New(typ)
		wantErr := treeDecode(data, want.Interface())
		gotErr := doc.assign(got.Interface())
		switch {
		case (wantErr == nil) != (gotErr == nil):
			t.Fatalf("%q into %v: reference error %v, got %v", data, typ, wantErr, gotErr)
		case wantErr != nil:
			if !hasMap(typ) && wantErr.Error() != gotErr.Error() {
				t.Fatalf("%q into %v: reference error %q, got %q", data, typ, wantErr, gotErr)
			}
		case !reflect.DeepEqual(want.Interface(), got.Interface()):
			t.Fatalf("%q into %v:\nreference %+v\ngot       %+v", data, typ, want.Elem(), got.Elem())
		}
	}
}

var lenientSeeds = []string{
	``, ` `, `{}`, `[]`, `null`, `true`, `1`, `"s"`, `{} x`, `{}x`, `[]x`, `1x`, `1 x`, `"a"x`, `01`, `-`, `1.`, `.5`,
	`1e`, `1e+`, `-0.0e-0`, `{"a":1,}`, `[1,]`, `{"a" 1}`, `{"a":1 "b":2}`, `{,}`, `{"a":}`, "\ufeff{}",
	`{"s":"\u00e9\ud83d\ude00\ud800x\/\b\f\n\r\t\"\\"}`, "{\"s\":\"\xff\xfe\"}", "{\"s\":\"a\x01\"}", `{"s":"\x"}`,
	`{"s":"\u12"}`, `{"s\u0073":"escaped key"}`, "{\"\xffs\":1}",
	`{"s":1,"i":"42","i8":"300","u":1,"f":"1.5","b":"TRUE","p":"7","ps":{"X":"3"},"l":["1",2,"3e2"],"ls":[1,true,"x"],` +
		`"raw":{"b":[1,"x",null],"a":1.50},"any":{"n":1e3},"arr":[1,2],"m":{"k":"v","k":1}}`,
	`{"s":null,"i":null,"l":null,"m":null,"any":null,"raw":null,"p":null}`,
	`{"i":"","f":"","b":"","l":"","ls":"","m":""}`, `{"i":1.5}`, `{"i":"1e20"}`, `{"i":9007199254740993}`,
	`{"i8":127,"i":-9223372036854775808}`, `{"b":2}`, `{"b":"yes"}`, `{"b":1.0}`, `{"s":[1]}`, `{"s":{"a":1}}`,
	`{"l":[1,"x"]}`, `{"l":[1,{"a":"secret"}]}`, `{"ps":[]}`, `{"arr":[1]}`, `{"m":{"a":"x","a":1}}`, `{"m":{"a":1,"a":"x"}}`,
	`{"requestid":"x","other":"o"}`, `{"RequestId":"r","request_id":"s","Request_ID":"t","REQUESTID":"u"}`,
	`{"requestId":"b","RequestId":"a","requestid":"c","requestid":"d"}`, `{"subCode":"s","SUB_CODE":"t","ÄÖ":1}`,
	`{"code":"x","Code":"7","CODE":"8"}`, `{"Code":"x"}`, `{"dup":"one","DUP":"two"}`, `{"un":"lower","Un":"exact"}`,
	`{"result":{"userid":"u","dept_id_list":["1",2],"leader_in_dept":[{"dept_id":"1","leader":"true"}],` +
		`"union_emp_ext":{"union_emp_map_list":[{"userid":"x","corpId":"c"}]},"dept_position_list":[{"a":1}],` +
		`"extension_i18n":{"z":1,"a":[]}}}`,
	`{"list":[{"dept_id":1,"order":"2"},{"Dept_Id":"3"}],"inner":{"Leader":1,"deep":{"requestId":"r"}}}`,
	`{"errcode":"88","errmsg":"x","sub_code":"60011","requestid":"r"}`, `{"errcode":0,"errcode":"40078"}`,
	`{"errcode":{"a":1}}`, `{"ErrCode":[1]}`, `{"code":"Forbidden","message":"m","requestid":"r"}`,
	`{"status":1111,"wait":5,"punish":"deny"}`, `{"punish":null}`, `{"a":` + strings.Repeat(`[`, 50) + strings.Repeat(`]`, 50) + `}`,
}

// deepSeeds are nested as deep as encoding/json allows, and one deeper.
var deepSeeds = []string{
	strings.Repeat(`[`, 10000) + strings.Repeat(`]`, 10000), strings.Repeat(`[`, 10001) + strings.Repeat(`]`, 10001),
	`{"a":` + strings.Repeat(`{"a":`, 9999) + `1` + strings.Repeat(`}`, 10000), `{"a":` + strings.Repeat(`{"a":`, 10000) + `1` + strings.Repeat(`}`, 10001),
}

// replySeeds are the recorded DingTalk replies of the golden tests.
func replySeeds(tb testing.TB) [][]byte {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no replies in testdata: %v", err)
	}
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// TestDecodeLenientAgreesWithTree runs the differential check on the
// seeds and the recorded replies, and on every prefix of a few of them,
// so that truncated replies are covered too.
func TestDecodeLenientAgreesWithTree(t *testing.T) {
	inputs := replySeeds(t)
	for _, s := range lenientSeeds {
		inputs = append(inputs, []byte(s))
	}
	for _, s := range deepSeeds {
		inputs = append(inputs, []byte(s))
	}
	for _, in := range inputs {
		checkAgainstTree(t, in)
	}
	for _, in := range inputs[:8] {
		for n := range len(in) {
			checkAgainstTree(t, in[:n])
		}
	}
}

func FuzzDecodeLenient(f *testing.F) {
	for _, s := range lenientSeeds {
		f.Add([]byte(s))
	}
	for _, b := range replySeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAgainstTree(t, data)
	})
}

// BenchmarkDecodeReply decodes a recorded user-detail reply (E8) into
// the envelope and the result, as every login's call does: streaming,
// and through the tree reference for comparison.
func BenchmarkDecodeReply(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "e8_user_get_ok.json"))
	if err != nil {
		b.Fatal(err)
	}
	decoders := []struct {
		name   string
		decode func(data []byte, env, out any) error
	}{
		{"streaming", func(data []byte, env, out any) error {
			doc, err := parseLenient(data)
			if err == nil {
				if err = doc.assign(env); err == nil {
					err = doc.assign(out)
				}
			}
			return err
		}},
		{"tree", func(data []byte, env, out any) error {
			tree, err := parseTree(data)
			if err == nil {
				if err = treeAssign(tree, env); err == nil {
					err = treeAssign(tree, out)
				}
			}
			return err
		}},
	}
	for _, d := range decoders {
		b.Run(d.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var env envelope
				var u User
				reply := struct {
					Result any `json:"result"`
				}{Result: &u}
				if err := d.decode(data, &env, &reply); err != nil || u.UserID == "" {
					b.Fatal(err, u)
				}
			}
		})
	}
}
