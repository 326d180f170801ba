package storagetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

var timeType = reflect.TypeFor[time.Time]()

// same reports an error unless got equals want once both are canonical:
// times as UTC instants truncated to microseconds, empty slices and maps as
// nil. It also requires every time in got to be in UTC and truncated to
// microseconds already, as the contract promises.
func same[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	checkTimes(t, what, reflect.ValueOf(got))
	g, w := canon(got), canon(want)
	if !reflect.DeepEqual(g, w) {
		gj, _ := json.MarshalIndent(g, "", "  ")
		wj, _ := json.MarshalIndent(w, "", "  ")
		t.Errorf("%s:\ngot  %s\nwant %s", what, gj, wj)
	}
}

// canon returns a deep copy of v in canonical form.
func canon[T any](v T) T {
	rv := reflect.ValueOf(&v).Elem()
	return canonValue(rv).Interface().(T)
}

func canonValue(v reflect.Value) reflect.Value {
	if v.Type() == timeType {
		tm := v.Interface().(time.Time)
		if tm.IsZero() {
			return reflect.Zero(timeType)
		}
		return reflect.ValueOf(time.UnixMicro(tm.Truncate(time.Microsecond).UnixMicro()).UTC())
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return reflect.Zero(v.Type())
		}
		n := reflect.New(v.Type().Elem())
		n.Elem().Set(canonValue(v.Elem()))
		return n
	case reflect.Struct:
		n := reflect.New(v.Type()).Elem()
		for i := range v.NumField() {
			if n.Field(i).CanSet() {
				n.Field(i).Set(canonValue(v.Field(i)))
			}
		}
		return n
	case reflect.Slice:
		if v.Len() == 0 {
			return reflect.Zero(v.Type())
		}
		n := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			n.Index(i).Set(canonValue(v.Index(i)))
		}
		return n
	case reflect.Map:
		if v.Len() == 0 {
			return reflect.Zero(v.Type())
		}
		n := reflect.MakeMapWithSize(v.Type(), v.Len())
		iter := v.MapRange()
		for iter.Next() {
			n.SetMapIndex(iter.Key(), canonValue(iter.Value()))
		}
		return n
	}
	return v
}

// checkTimes reports every non-zero time in v that is not in UTC or not
// truncated to microseconds.
func checkTimes(t *testing.T, what string, v reflect.Value) {
	t.Helper()
	if !v.IsValid() {
		return
	}
	if v.Type() == timeType {
		tm := v.Interface().(time.Time)
		if tm.IsZero() {
			return
		}
		if tm.Location() != time.UTC {
			t.Errorf("%s: time %v is in %v, want UTC", what, tm, tm.Location())
		}
		if tm.Nanosecond()%1000 != 0 {
			t.Errorf("%s: time %v is not truncated to microseconds", what, tm)
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			checkTimes(t, what, v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				checkTimes(t, what, v.Field(i))
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			checkTimes(t, what, v.Index(i))
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			checkTimes(t, what, iter.Value())
		}
	}
}

// must stops the test when a setup step fails.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantErr reports an error unless errors.Is(err, target).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want %v", what, err, target)
	}
}

// sameBytes reports whether a and b hold the same bytes (nil equals empty).
func sameBytes(a, b []byte) bool { return bytes.Equal(a, b) }

// isAny reports whether err matches one of targets.
func isAny(err error, targets ...error) bool {
	for _, target := range targets {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}
