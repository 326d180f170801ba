// Package binfmttest helps test the binary forms of values: Fill gives
// every field a value, so that a round trip that drops a field (one
// added to the type but not to its AppendBinary) shows.
package binfmttest

import (
	"encoding"
	"fmt"
	"reflect"
	"testing"
)

// Fill sets every exported field of the struct v points to, recursively,
// to a value that is not zero and differs from field to field.
func Fill(v any) {
	var f filler
	f.fill(reflect.ValueOf(v).Elem(), "v")
}

// filler counts the numbers it has given, so that no two are equal.
type filler struct{ n int64 }

func (f *filler) fill(v reflect.Value, name string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(name + "-value")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		f.n++
		v.SetInt(f.n * 37)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		f.n++
		v.SetUint(uint64(f.n))
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		f.fill(p.Elem(), name)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			f.fill(s.Index(i), fmt.Sprintf("%s[%d]", name, i))
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for i := range 2 {
			k := reflect.New(v.Type().Key()).Elem()
			f.fill(k, fmt.Sprintf("%s.key%d", name, i))
			e := reflect.New(v.Type().Elem()).Elem()
			f.fill(e, fmt.Sprintf("%s.value%d", name, i))
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				f.fill(v.Field(i), name+"."+v.Type().Field(i).Name)
			}
		}
	default:
		panic("binfmttest: cannot fill a " + v.Type().String())
	}
}

// CheckForm fills a T, appends its binary form, reads it back into a
// fresh T and fails t unless the two are equal; every cut of the form,
// and the form with another first (version) byte, must be refused.
func CheckForm[T any, PT interface {
	*T
	encoding.BinaryUnmarshaler
}](t testing.TB) {
	t.Helper()
	var in T
	Fill(&in)
	app, ok := any(in).(encoding.BinaryAppender)
	if !ok {
		t.Fatalf("%T has no AppendBinary", in)
	}
	b, err := app.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := PT(&out).UnmarshalBinary(b); err != nil || !reflect.DeepEqual(out, in) {
		t.Fatalf("round trip =\n%+v, %v\nwant\n%+v", out, err, in)
	}
	for n := range len(b) {
		if err := PT(new(T)).UnmarshalBinary(b[:n]); err == nil {
			t.Errorf("%d of %d bytes opened", n, len(b))
		}
	}
	if err := PT(new(T)).UnmarshalBinary(append([]byte{b[0] + 1}, b[1:]...)); err == nil {
		t.Error("an unknown format opened")
	}
}
