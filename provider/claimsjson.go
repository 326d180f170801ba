package provider

import (
	"encoding/json"
	"reflect"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
)

// oidc's UserInfo and IDTokenClaims marshal their fields and their extra
// Claims by encoding the fields, decoding that into a map, adding the
// extra claims that no field already set and encoding the map again. The
// types below give the same JSON object with one pass over each part:
// the fields, then the extra claims, spliced. An extra claim that has a
// field's name is left to oidc's own method, whose rule (the field wins
// when set) then applies unchanged. Only the order of the members
// differs, which JSON objects do not define.

// userInfoFields and idTokenFields are the claim types without their
// MarshalJSON methods (what oidc itself encodes first).
type (
	userInfoFields oidc.UserInfo
	idTokenFields  oidc.IDTokenClaims
)

var (
	userInfoFieldNames = jsonFieldNames(reflect.TypeFor[userInfoFields]())
	idTokenFieldNames  = jsonFieldNames(reflect.TypeFor[idTokenFields]())
)

// userInfoJSON is a userinfo response.
type userInfoJSON struct{ *oidc.UserInfo }

func (u userInfoJSON) MarshalJSON() ([]byte, error) {
	if b, ok, err := spliceClaims((*userInfoFields)(u.UserInfo), userInfoFieldNames, u.Claims); ok {
		return b, err
	}
	return u.UserInfo.MarshalJSON()
}

// marshalIDToken encodes an ID token's claims.
func marshalIDToken(c *oidc.IDTokenClaims) ([]byte, error) {
	if b, ok, err := spliceClaims((*idTokenFields)(c), idTokenFieldNames, c.Claims); ok {
		return b, err
	}
	return json.Marshal(c)
}

// spliceClaims encodes fields, then extra, as one object; ok is false
// when an extra claim has the name of a field.
func spliceClaims(fields any, names map[string]bool, extra map[string]any) (_ []byte, ok bool, _ error) {
	for k := range extra {
		if names[k] {
			return nil, false, nil
		}
	}
	b, err := json.Marshal(fields)
	if err != nil || len(extra) == 0 {
		return b, true, err
	}
	more, err := json.Marshal(extra)
	if err != nil {
		return nil, true, err
	}
	if len(b) == 2 { // {}
		return more, true, nil
	}
	// b is {…} and more is {…} with at least one member each.
	b[len(b)-1] = ','
	return append(b, more[1:]...), true, nil
}

// jsonFieldNames returns the member names encoding/json gives the fields
// of struct type t, embedded structs' fields included.
func jsonFieldNames(t reflect.Type) map[string]bool {
	names := map[string]bool{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag, hasTag := f.Tag.Lookup("json")
			name, _, _ := strings.Cut(tag, ",")
			if name == "-" && !strings.HasPrefix(tag, "-,") {
				continue
			}
			if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
				walk(f.Type)
				continue
			}
			if !f.IsExported() {
				continue
			}
			if !hasTag || name == "" {
				name = f.Name
			}
			names[name] = true
		}
	}
	walk(t)
	return names
}
