package dingtalk

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// The tree decoder below is how decodeLenient used to work: parse the
// whole reply into encoding/json's generic values, then walk them into
// the target. It is kept as the reference the streaming decoder must
// agree with (FuzzDecodeLenient).

func treeDecode(data []byte, v any) error {
	tree, err := parseTree(data)
	if err != nil {
		return err
	}
	return treeAssign(tree, v)
}

// treeAssign decodes a parsed tree into v as decodeLenient does: the
// reference decodeLenient is checked against, built on encoding/json's
// generic tree and matching every field in every way.
func treeAssign(tree any, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errors.New("decode into non-pointer")
	}
	return treeValue(rv.Elem(), tree, "")
}

func treeValue(dst reflect.Value, src any, path string) error {
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
		return treeValue(dst.Elem(), src, path)
	case reflect.Interface:
		if !dst.IsNil() && dst.Elem().Kind() == reflect.Pointer {
			return treeValue(dst.Elem(), src, path) // decode into the value it points to
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
		n, ok := treeToInt64(src)
		if ok && !dst.OverflowInt(n) {
			dst.SetInt(n)
			return nil
		}
	case reflect.Float32, reflect.Float64:
		if f, ok := treeToFloat64(src); ok {
			dst.SetFloat(f)
			return nil
		}
	case reflect.Bool:
		if b, ok := treeToBool(src); ok {
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
			if err := treeValue(out.Index(i), el, path+"["+strconv.Itoa(i)+"]"); err != nil {
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
			if err := treeValue(ev, el, path+"."+k); err != nil {
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
		return treeStruct(dst, obj, path)
	}
	if path == "" {
		path = "(top level)"
	}
	return fmt.Errorf("field %s: cannot use JSON %s as %s", path, treeJSONKind(src), dst.Type())
}

func treeStruct(dst reflect.Value, obj map[string]any, path string) error {
	info := structFields(dst.Type())
	fuzzy := true
	var folded, squashed map[string]any // built on first miss
	for _, f := range info.fields {
		v, ok := obj[f.name]
		if !ok && fuzzy {
			if folded == nil {
				folded, squashed = treeFoldKeys(obj)
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
		if err := treeValue(dst.Field(f.index), v, p); err != nil {
			return err
		}
	}
	return nil
}

// foldKeys indexes obj by lower-cased key and by squashed key; on
// collisions the lexically first original key wins, so decoding is
// deterministic.
func treeFoldKeys(obj map[string]any) (folded, squashed map[string]any) {
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

// treeScalar returns the text of a json.Number or a string.
func treeScalar(src any) (string, bool) {
	switch s := src.(type) {
	case json.Number:
		return s.String(), true
	case string:
		return s, true
	}
	return "", false
}

func treeToInt64(src any) (int64, bool) {
	s, ok := treeScalar(src)
	if !ok {
		return 0, false
	}
	return toInt64(s)
}

func treeToFloat64(src any) (float64, bool) {
	s, ok := treeScalar(src)
	if !ok {
		return 0, false
	}
	return toFloat64(s)
}

func treeToBool(src any) (bool, bool) {
	if b, ok := src.(bool); ok {
		return b, true
	}
	if n, ok := src.(json.Number); ok {
		switch n {
		case "0":
			return false, true
		case "1":
			return true, true
		}
		return false, false
	}
	s, ok := treeScalar(src)
	if !ok {
		return false, false
	}
	return toBool(s)
}

func treeJSONKind(v any) string {
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
