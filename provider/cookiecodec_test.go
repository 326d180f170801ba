package provider

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/securecookie"

	"github.com/dingbridge/dingbridge/internal/binfmt/binfmttest"
	"github.com/dingbridge/dingbridge/storage"
)

func TestCookieCodec(t *testing.T) {
	hashKey, blockKey := []byte(strings.Repeat("h", 32)), []byte(strings.Repeat("b", 32))
	c := NewCookieCodec(hashKey, blockKey, 3600)

	type state struct {
		State string
		Flow  string
		N     int64
	}
	in := state{State: "s1", Flow: "qr", N: 42}
	v, err := c.Encode("dbstate_x", in)
	if err != nil {
		t.Fatal(err)
	}
	var out state
	if err := c.Decode("dbstate_x", v, &out); err != nil || out != in {
		t.Fatalf("round trip = %+v, %v; want %+v", out, err, in)
	}
	// JSON inside: a gob reader cannot open it.
	if err := securecookie.New(hashKey, blockKey).Decode("dbstate_x", v, &out); err == nil {
		t.Error("the value is gob, want JSON")
	}
	if err := c.Decode("other_name", v, &out); err == nil {
		t.Error("a value decoded under another cookie name")
	}
	if err := c.Decode("dbstate_x", v[:len(v)-2]+"AA", &out); err == nil {
		t.Error("a tampered value decoded")
	}
	other := NewCookieCodec([]byte(strings.Repeat("x", 32)), blockKey, 3600)
	if err := other.Decode("dbstate_x", v, &out); err == nil {
		t.Error("a value decoded with another hash key")
	}

	// A session cookie sealed with gob, as earlier versions set it.
	old, err := securecookie.New(hashKey, blockKey).Encode(sessionCookie, "session-id")
	if err != nil {
		t.Fatal(err)
	}
	var id string
	if err := c.Decode(sessionCookie, old, &id); err != nil || id != "session-id" {
		t.Fatalf("gob value = %q, %v; want session-id", id, err)
	}
	if err := other.Decode(sessionCookie, old, &id); err == nil {
		t.Error("a gob value decoded with another hash key")
	}
}

// binaryValue is a value with its own binary form.
type binaryValue struct{ A, B string }

func (v binaryValue) AppendBinary(b []byte) ([]byte, error) {
	return append(append(append(b, byte(len(v.A))), v.A...), v.B...), nil
}

func (v *binaryValue) UnmarshalBinary(b []byte) error {
	if len(b) == 0 || int(b[0]) > len(b)-1 {
		return errors.New("short")
	}
	v.A, v.B = string(b[1:1+b[0]]), string(b[1+b[0]:])
	return nil
}

// TestCookieCodecCompact: strings and values with a binary form are
// sealed compactly, open only under their name, keys and age, and
// refuse every change; MaxLength bounds them.
func TestCookieCodecCompact(t *testing.T) {
	hashKey, blockKey := []byte(strings.Repeat("h", 32)), []byte(strings.Repeat("b", 32))
	c := NewCookieCodec(hashKey, blockKey, 3600)

	in := binaryValue{A: "状态", B: "the rest"}
	v, err := c.Encode("dbstate_x", in)
	if err != nil {
		t.Fatal(err)
	}
	if v[0] != 'A' || strings.ContainsAny(v, ".=|") {
		t.Errorf("value %q: want compact base64url", v)
	}
	if want := base64.RawURLEncoding.EncodedLen(compactHeader + 1 + len(in.A) + len(in.B) + 16); len(v) != want {
		t.Errorf("value of %d characters, want %d", len(v), want)
	}
	var out binaryValue
	if err := c.Decode("dbstate_x", v, &out); err != nil || out != in {
		t.Fatalf("round trip = %+v, %v; want %+v", out, err, in)
	}
	if again, _ := c.Encode("dbstate_x", in); again == v {
		t.Error("two seals of one value are equal: no fresh salt")
	}
	var id string
	sv, err := c.Encode(sessionCookie, "session-id")
	if err != nil || sv[0] != 'A' {
		t.Fatalf("string sealed as %q, %v", sv, err)
	}
	if err := c.Decode(sessionCookie, sv, &id); err != nil || id != "session-id" {
		t.Fatalf("string = %q, %v", id, err)
	}

	if err := c.Decode("other_name", v, &out); !errors.Is(err, errCookieSeal) {
		t.Errorf("under another name: %v", err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(v)
	for i := range raw {
		changed := bytes.Clone(raw)
		changed[i] ^= 0x01
		if err := c.Decode("dbstate_x", base64.RawURLEncoding.EncodeToString(changed), &out); err == nil {
			t.Errorf("byte %d changed: opened", i)
		}
	}
	if err := c.Decode("dbstate_x", v[:len(v)-4], &out); err == nil {
		t.Error("a cut value opened")
	}
	for _, other := range []*CookieCodec{
		NewCookieCodec([]byte(strings.Repeat("x", 32)), blockKey, 3600),
		NewCookieCodec(hashKey, []byte(strings.Repeat("x", 32)), 3600),
	} {
		if err := other.Decode("dbstate_x", v, &out); !errors.Is(err, errCookieSeal) {
			t.Errorf("under other keys: %v", err)
		}
	}
	if err := c.Decode("dbstate_x", v, &struct{ A string }{}); err == nil {
		t.Error("opened into a value without a binary form")
	}

	// Age: the issue time is in the authenticated header.
	stale := bytes.Clone(raw)
	binary.BigEndian.PutUint64(stale[1+sealSaltSize:], uint64(time.Now().Add(-2*time.Hour).Unix()))
	aead, _ := c.sealer.aead(stale[1 : 1+sealSaltSize])
	stale = aead.Seal(stale[:compactHeader], zeroNonce[:], []byte("\x00"), additionalData(stale[:compactHeader], "dbstate_x"))
	if err := c.Decode("dbstate_x", base64.RawURLEncoding.EncodeToString(stale), &out); !errors.Is(err, errCookieExpired) {
		t.Errorf("a value sealed two hours ago, max age one: %v", err)
	}

	short := NewCookieCodec(hashKey, blockKey, 0).MaxLength(len(v) - 1)
	if _, err := short.Encode("dbstate_x", in); !errors.Is(err, errCookieLength) {
		t.Errorf("Encode over MaxLength: %v", err)
	}
	if err := short.Decode("dbstate_x", v, &out); !errors.Is(err, errCookieLength) {
		t.Errorf("Decode over MaxLength: %v", err)
	}
}

// TestSealedRequestBinaryForm: every field of a pending request
// survives its binary form, a cut or unknown form does not open, and a
// handle that securecookie sealed as JSON, as the previous release made
// them, still opens.
func TestSealedRequestBinaryForm(t *testing.T) {
	binfmttest.CheckForm[sealedRequest](t)

	hashKey, blockKey := []byte(strings.Repeat("h", 32)), []byte(strings.Repeat("b", 32))
	now := time.Now().UTC().Truncate(time.Microsecond)
	prev := sealable(storage.AuthRequest{ID: "req-1", ClientID: "web", RedirectURI: "https://rp.example/cb",
		Scopes: []string{"openid"}, State: "st", CreatedAt: now, ExpiresAt: now.Add(time.Minute)})
	handle, err := securecookie.New(hashKey, blockKey).SetSerializer(securecookie.JSONEncoder{}).Encode(requestHandleName, prev)
	if err != nil {
		t.Fatal(err)
	}
	var got sealedRequest
	if err := newRequestCodec(hashKey, blockKey, 10*time.Minute).Decode(requestHandleName, handle, &got); err != nil || !reflect.DeepEqual(got, prev) {
		t.Errorf("previous release's handle = %+v, %v; want %+v", got, err, prev)
	}
}
