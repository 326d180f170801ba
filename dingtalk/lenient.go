package dingtalk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// Every DingTalk reply is decoded by decodeLenient, the one place where the
// reference's UNCONFIRMED details are tolerated:
//
//   - numbers may arrive as strings ("errcode":"0", "dept_id":"123") and
//     strings as numbers; "" and null mean zero;
//   - booleans may arrive as "true"/"false" or 0/1;
//   - a field name matches exactly, else ignoring case, else ignoring case
//     and underscores, so sub_code/subCode, request_id/requestid/RequestId
//     and Code/code all land in the same field; among keys that match a
//     field the same way, the lexically first wins, and of a key repeated
//     in an object, its last value;
//   - missing fields stay zero; unknown fields are ignored.
//
// Decode errors name the field path and JSON type, never a value.
//
// The reply is checked once (parseLenient) and then read straight into
// each target (lenientDoc.assign): a key no field wants is skipped
// without being decoded, and only fields of interface or json.RawMessage
// type go through a generic tree (parseTree).
func decodeLenient(data []byte, v any) error {
	doc, err := parseLenient(data)
	if err != nil {
		return err
	}
	return doc.assign(v)
}

// parseTree parses one JSON value, keeping numbers as json.Number: what
// a field of interface type receives, and what a json.RawMessage field
// holds re-encoded.
func parseTree(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	return tree, nil
}

// assign decodes the document into the value v points to.
func (d lenientDoc) assign(v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errors.New("decode into non-pointer")
	}
	a := &assigner{lenientDoc: d}
	a.path = a.buf[:0]
	return a.value(rv.Elem(), d.top)
}

// An assigner decodes a document into one target. path is where it is
// in the target, for errors: made into a string only when an error
// names it.
type assigner struct {
	lenientDoc
	path []pathElem
	buf  [8]pathElem
}

type pathElem struct {
	name  string // field name or map key
	index int    // element index when kind is pathIndex
	kind  pathKind
}

type pathKind uint8

const (
	pathField pathKind = iota // parent.name, or name at the top
	pathKey                   // parent.name, also at the top (".name")
	pathIndex                 // parent[index]
)

func (a *assigner) push(e pathElem) { a.path = append(a.path, e) }
func (a *assigner) pop()            { a.path = a.path[:len(a.path)-1] }

// pathString spells the current path as errors give it: "a.b[2].c".
func (a *assigner) pathString() string {
	var s string
	for _, e := range a.path {
		switch {
		case e.kind == pathIndex:
			s += "[" + strconv.Itoa(e.index) + "]"
		case e.kind == pathField && s == "":
			s = e.name
		default:
			s += "." + e.name
		}
	}
	return s
}

var rawMessageType = reflect.TypeFor[json.RawMessage]()

// value assigns the value at data[i] to dst.
func (a *assigner) value(dst reflect.Value, i int) error {
	d := a.lenientDoc
	c := d.data[i]
	if c == 'n' { // null: dst keeps its value
		return nil
	}
	if dst.Type() == rawMessageType {
		tree, err := parseTree(d.data[i:d.end(i)])
		if err == nil {
			var b []byte
			if b, err = json.Marshal(tree); err == nil {
				dst.SetBytes(b)
				return nil
			}
		}
		return fmt.Errorf("field %s: %w", a.pathString(), err)
	}
	switch dst.Kind() {
	case reflect.Pointer:
		if dst.IsNil() {
			dst.Set(reflect.New(dst.Type().Elem()))
		}
		return a.value(dst.Elem(), i)
	case reflect.Interface:
		if !dst.IsNil() && dst.Elem().Kind() == reflect.Pointer {
			return a.value(dst.Elem(), i) // decode into the value it points to
		}
		if dst.NumMethod() == 0 {
			tree, err := parseTree(d.data[i:d.end(i)])
			if err != nil {
				return fmt.Errorf("field %s: %w", a.pathString(), err)
			}
			dst.Set(reflect.ValueOf(tree))
			return nil
		}
	case reflect.String:
		if s, ok := d.scalarText(i); ok {
			dst.SetString(s)
			return nil
		}
		if c == 't' || c == 'f' {
			dst.SetString(strconv.FormatBool(c == 't'))
			return nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if s, ok := d.scalarText(i); ok {
			n, ok := toInt64(s)
			if ok && !dst.OverflowInt(n) {
				dst.SetInt(n)
				return nil
			}
		}
	case reflect.Float32, reflect.Float64:
		if s, ok := d.scalarText(i); ok {
			if f, ok := toFloat64(s); ok {
				dst.SetFloat(f)
				return nil
			}
		}
	case reflect.Bool:
		if c == 't' || c == 'f' {
			dst.SetBool(c == 't')
			return nil
		}
		if s, ok := d.scalarText(i); ok {
			if b, ok := toBool(s); ok {
				dst.SetBool(b)
				return nil
			}
		}
	case reflect.Slice:
		switch c {
		case '[':
			return a.slice(dst, i)
		case '"':
			if d.data[i+1] == '"' { // "" means none
				return nil
			}
		}
	case reflect.Map:
		if c == '{' && dst.Type().Key().Kind() == reflect.String {
			return a.mapping(dst, i)
		}
	case reflect.Struct:
		if c == '{' {
			return a.object(dst, i)
		}
	}
	return fmt.Errorf("field %s: cannot use JSON %s as %s", a.orTopLevel(), jsonKind(c), dst.Type())
}

func (a *assigner) orTopLevel() string {
	if s := a.pathString(); s != "" {
		return s
	}
	return "(top level)"
}

func isNumberStart(c byte) bool { return c == '-' || c >= '0' && c <= '9' }

// scalarText returns the text of a number, or the contents of a string;
// ok is false for other values.
func (d lenientDoc) scalarText(i int) (string, bool) {
	switch c := d.data[i]; {
	case c == '"':
		s, _ := d.str(i)
		return s, true
	case isNumberStart(c):
		return string(d.data[i:d.end(i)]), true
	}
	return "", false
}

func (a *assigner) slice(dst reflect.Value, i int) error {
	d := a.lenientDoc
	out := reflect.MakeSlice(dst.Type(), 0, 0)
	i = skipSpace(d.data, i+1)
	if d.data[i] != ']' {
		for n := 0; ; n++ {
			out = reflect.Append(out, reflect.Zero(dst.Type().Elem()))
			a.push(pathElem{index: n, kind: pathIndex})
			err := a.value(out.Index(n), i)
			a.pop()
			if err != nil {
				return err
			}
			i = skipSpace(d.data, d.end(i))
			if d.data[i] == ']' {
				break
			}
			i = skipSpace(d.data, i+1)
		}
	}
	dst.Set(out)
	return nil
}

func (a *assigner) mapping(dst reflect.Value, i int) error {
	d := a.lenientDoc
	var buf [16]member
	ms := d.members(i, buf[:0])
	m := reflect.MakeMapWithSize(dst.Type(), len(ms))
	// Of a repeated key the last value counts: walking back, a key
	// already in m was set by a later member.
	for k := len(ms) - 1; k >= 0; k-- {
		key := string(ms[k].key)
		kv := reflect.ValueOf(key).Convert(dst.Type().Key())
		if m.MapIndex(kv).IsValid() {
			continue
		}
		ev := reflect.New(dst.Type().Elem()).Elem()
		a.push(pathElem{name: key, kind: pathKey})
		err := a.value(ev, ms[k].val)
		a.pop()
		if err != nil {
			return err
		}
		m.SetMapIndex(kv, ev)
	}
	dst.Set(m)
	return nil
}

// object assigns the object at data[i] to the struct dst: each field
// takes the value of the key that matches it best (see decodeLenient),
// in the order of the fields, so that an error names the first field
// that fails.
func (a *assigner) object(dst reflect.Value, i int) error {
	d := a.lenientDoc
	info := structFields(dst.Type())
	var buf [48]member // a user's detail has some 40 keys
	ms := d.members(i, buf[:0])
	var chosenBuf [48]int
	var chosen []int
	if len(info.fields) <= len(chosenBuf) {
		chosen = chosenBuf[:len(info.fields)]
	} else {
		chosen = make([]int, len(info.fields))
	}
	for f := range chosen {
		chosen[f] = -1
	}
	fuzzy := false
	for k, m := range ms {
		fs := info.byName[string(m.key)]
		for _, f := range fs {
			chosen[f] = k // the last of a repeated key
		}
		if !fuzzy && (len(fs) != 1 || !info.fields[fs[0]].alone) {
			fuzzy = info.mayFold(m.key)
		}
	}
	if fuzzy {
		for f, fi := range info.fields {
			if chosen[f] < 0 {
				chosen[f] = bestFuzzy(ms, fi)
			}
		}
	}
	for f, fi := range info.fields {
		k := chosen[f]
		if k < 0 {
			continue
		}
		a.push(pathElem{name: fi.name})
		err := a.value(dst.Field(fi.index), ms[k].val)
		a.pop()
		if err != nil {
			return err
		}
	}
	return nil
}

// bestFuzzy returns the member a field without an exact key takes: of
// the keys equal to its name ignoring case, else ignoring case and
// underscores, the lexically first, and its last value; -1 if none.
func bestFuzzy(ms []member, fi fieldInfo) int {
	for _, squashed := range []bool{false, true} {
		want := fi.lower
		if squashed {
			want = fi.squashed
		}
		best := -1
		for k, m := range ms {
			if !foldMatch(m.key, want, squashed) {
				continue
			}
			if best < 0 || bytes.Compare(m.key, ms[best].key) <= 0 {
				best = k
			}
		}
		if best >= 0 {
			return best
		}
	}
	return -1
}

// foldMatch reports whether key lower-cased (and, if squashed, without
// underscores) is want, without allocating when key is ASCII.
func foldMatch(key []byte, want string, squashed bool) bool {
	j := 0
	for _, c := range key {
		switch {
		case c >= 0x80:
			if squashed {
				return squash(string(key)) == want
			}
			return strings.ToLower(string(key)) == want
		case c == '_' && squashed:
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		if j == len(want) || want[j] != c {
			return false
		}
		j++
	}
	return j == len(want)
}

func squash(s string) string { return strings.ReplaceAll(strings.ToLower(s), "_", "") }

type fieldInfo struct {
	index int
	name  string
	// lower and squashed are name lower-cased, and lower-cased without
	// underscores, for the case- and underscore-blind matches.
	lower, squashed string
	// alone reports that no other field has the same squashed name: a
	// key that is this field's exact name matches no other field.
	alone bool
}

var fieldCache sync.Map // reflect.Type → *structInfo

// structInfo is what lenientDoc.object needs of a struct type.
type structInfo struct {
	fields []fieldInfo
	// byName gives the fields (indexes into fields) of each name;
	// squashed counts the fields of each squashed name.
	byName   map[string][]int
	squashed map[string]int
}

// mayFold reports whether key could match a field other than by its
// exact name (ignoring case and underscores). When no key of an object
// can, the exact matches are all there is.
func (si *structInfo) mayFold(key []byte) bool {
	var buf [64]byte
	var n int
	if b, ok := squashASCII(buf[:0], key); ok {
		n = si.squashed[string(b)]
	} else {
		n = si.squashed[squash(string(key))]
	}
	return !(n == 0 || n == 1 && len(si.byName[string(key)]) == 1)
}

// squashASCII appends squash(k) to b without allocating when k is ASCII
// and fits; ok is false otherwise.
func squashASCII(b, k []byte) ([]byte, bool) {
	if len(k) > cap(b) {
		return nil, false
	}
	for _, c := range k {
		switch {
		case c >= 0x80:
			return nil, false
		case c == '_':
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b, true
}

func structFields(t reflect.Type) *structInfo {
	if si, ok := fieldCache.Load(t); ok {
		return si.(*structInfo)
	}
	si := &structInfo{byName: map[string][]int{}, squashed: map[string]int{}}
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name := sf.Name
		if tag, ok := sf.Tag.Lookup("json"); ok {
			tagName, _, _ := strings.Cut(tag, ",")
			if tagName == "-" {
				continue
			}
			if tagName != "" {
				name = tagName
			}
		}
		si.fields = append(si.fields, fieldInfo{index: i, name: name, lower: strings.ToLower(name), squashed: squash(name)})
		si.byName[name] = append(si.byName[name], len(si.fields)-1)
		si.squashed[squash(name)]++
	}
	for i := range si.fields {
		si.fields[i].alone = si.squashed[si.fields[i].squashed] == 1
	}
	fieldCache.Store(t, si)
	return si
}

// toInt64, toFloat64 and toBool read the text of a JSON number or the
// contents of a JSON string; "" is zero.
func toInt64(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, true
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

func toFloat64(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, true
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func toBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1":
		return true, true
	case "false", "0", "":
		return false, true
	}
	return false, false
}

// jsonKind names the type of the JSON value that starts with c.
func jsonKind(c byte) string {
	switch {
	case c == '"':
		return "string"
	case isNumberStart(c):
		return "number"
	case c == 't' || c == 'f':
		return "boolean"
	case c == '[':
		return "array"
	case c == '{':
		return "object"
	}
	return "null"
}
