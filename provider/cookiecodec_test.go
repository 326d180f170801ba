package provider

import (
	"strings"
	"testing"

	"github.com/gorilla/securecookie"
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
