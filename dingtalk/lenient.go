package dingtalk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
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
//     and Code/code all land in the same field;
//   - missing fields stay zero; unknown fields are ignored.
//
// Decode errors name the field path and JSON type, never a value.
func decodeLenient(data []byte, v any) error {
	tree, err := parseTree(data)
	if err != nil {
		return err
	}
	return assignTree(tree, v)
}

// parseTree parses one JSON value, keeping numbers as json.Number, for
// assignTree. A reply parsed once can be assigned to several targets.
func parseTree(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	return tree, nil
}

// assignTree decodes a parsed tree into v as decodeLenient does.
func assignTree(tree any, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errors.New("decode into non-pointer")
	}
	return assign(rv.Elem(), tree, "")
}

var rawMessageType = reflect.TypeFor[json.RawMessage]()

func assign(dst reflect.Value, src any, path string) error {
	if src == nil {
		return nil
	}
	if dst.Type() == rawMessageType {
		b, err := json.Marshal(src)
		if err != nil {
			return fmt.Errorf("field %s: %w", path, err)
		}
		dst.SetBytes(b)
		return nil
	}
	switch dst.Kind() {
	case reflect.Pointer:
		if dst.IsNil() {
			dst.Set(reflect.New(dst.Type().Elem()))
		}
		return assign(dst.Elem(), src, path)
	case reflect.Interface:
		if !dst.IsNil() && dst.Elem().Kind() == reflect.Pointer {
			return assign(dst.Elem(), src, path) // decode into the value it points to
		}
		if dst.NumMethod() == 0 {
			dst.Set(reflect.ValueOf(src))
			return nil
		}
	case reflect.String:
		switch s := src.(type) {
		case string:
			dst.SetString(s)
			return nil
		case json.Number:
			dst.SetString(s.String())
			return nil
		case bool:
			dst.SetString(strconv.FormatBool(s))
			return nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := toInt64(src)
		if ok && !dst.OverflowInt(n) {
			dst.SetInt(n)
			return nil
		}
	case reflect.Float32, reflect.Float64:
		if f, ok := toFloat64(src); ok {
			dst.SetFloat(f)
			return nil
		}
	case reflect.Bool:
		if b, ok := toBool(src); ok {
			dst.SetBool(b)
			return nil
		}
	case reflect.Slice:
		arr, ok := src.([]any)
		if !ok {
			if s, isStr := src.(string); isStr && s == "" {
				return nil
			}
			break
		}
		out := reflect.MakeSlice(dst.Type(), len(arr), len(arr))
		for i, el := range arr {
			if err := assign(out.Index(i), el, path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
		dst.Set(out)
		return nil
	case reflect.Map:
		obj, ok := src.(map[string]any)
		if !ok || dst.Type().Key().Kind() != reflect.String {
			break
		}
		m := reflect.MakeMapWithSize(dst.Type(), len(obj))
		for k, el := range obj {
			ev := reflect.New(dst.Type().Elem()).Elem()
			if err := assign(ev, el, path+"."+k); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(k).Convert(dst.Type().Key()), ev)
		}
		dst.Set(m)
		return nil
	case reflect.Struct:
		obj, ok := src.(map[string]any)
		if !ok {
			break
		}
		return assignStruct(dst, obj, path)
	}
	if path == "" {
		path = "(top level)"
	}
	return fmt.Errorf("field %s: cannot use JSON %s as %s", path, jsonKind(src), dst.Type())
}

func assignStruct(dst reflect.Value, obj map[string]any, path string) error {
	info := structFields(dst.Type())
	fuzzy := info.needsFuzzy(obj)
	var folded, squashed map[string]any // built on first miss
	for _, f := range info.fields {
		v, ok := obj[f.name]
		if !ok && fuzzy {
			if folded == nil {
				folded, squashed = foldKeys(obj)
			}
			v, ok = folded[f.lower]
			if !ok {
				v, ok = squashed[f.squashed]
			}
		}
		if !ok {
			continue
		}
		p := f.name
		if path != "" {
			p = path + "." + f.name
		}
		if err := assign(dst.Field(f.index), v, p); err != nil {
			return err
		}
	}
	return nil
}

// foldKeys indexes obj by lower-cased key and by squashed key; on
// collisions the lexically first original key wins, so decoding is
// deterministic.
func foldKeys(obj map[string]any) (folded, squashed map[string]any) {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	folded = make(map[string]any, len(obj))
	squashed = make(map[string]any, len(obj))
	for _, k := range keys {
		if _, dup := folded[strings.ToLower(k)]; !dup {
			folded[strings.ToLower(k)] = obj[k]
		}
		if _, dup := squashed[squash(k)]; !dup {
			squashed[squash(k)] = obj[k]
		}
	}
	return folded, squashed
}

func squash(s string) string { return strings.ReplaceAll(strings.ToLower(s), "_", "") }

type fieldInfo struct {
	index int
	name  string
	// lower and squashed are name lower-cased, and lower-cased without
	// underscores, for the case- and underscore-blind matches.
	lower, squashed string
}

var fieldCache sync.Map // reflect.Type → *structInfo

// structInfo is what assignStruct needs of a struct type.
type structInfo struct {
	fields []fieldInfo
	// exact holds the field names; squashed counts the fields of each
	// squashed name.
	exact    map[string]bool
	squashed map[string]int
}

// needsFuzzy reports whether a key of obj could match a field other
// than by its exact name (ignoring case and underscores); when none can,
// the exact lookups give the same result and the folded indexes of obj
// are not built.
func (si *structInfo) needsFuzzy(obj map[string]any) bool {
	var buf [64]byte
	for k := range obj {
		var n int
		if b, ok := squashASCII(buf[:0], k); ok {
			n = si.squashed[string(b)]
		} else {
			n = si.squashed[squash(k)]
		}
		if n == 0 || n == 1 && si.exact[k] {
			continue
		}
		return true
	}
	return false
}

// squashASCII appends squash(k) to b without allocating when k is ASCII
// and fits; ok is false otherwise.
func squashASCII(b []byte, k string) ([]byte, bool) {
	if len(k) > cap(b) {
		return nil, false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
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
	si := &structInfo{exact: map[string]bool{}, squashed: map[string]int{}}
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
		si.exact[name] = true
		si.squashed[squash(name)]++
	}
	fieldCache.Store(t, si)
	return si
}

func toInt64(src any) (int64, bool) {
	switch s := src.(type) {
	case json.Number:
		return parseInt(s.String())
	case string:
		s = strings.TrimSpace(s)
		if s == "" {
			return 0, true
		}
		return parseInt(s)
	}
	return 0, false
}

func parseInt(s string) (int64, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

func toFloat64(src any) (float64, bool) {
	var s string
	switch v := src.(type) {
	case json.Number:
		s = v.String()
	case string:
		s = strings.TrimSpace(v)
		if s == "" {
			return 0, true
		}
	default:
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func toBool(src any) (bool, bool) {
	switch v := src.(type) {
	case bool:
		return v, true
	case json.Number:
		switch v.String() {
		case "0":
			return false, true
		case "1":
			return true, true
		}
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "1":
			return true, true
		case "false", "0", "":
			return false, true
		}
	}
	return false, false
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "null"
}
