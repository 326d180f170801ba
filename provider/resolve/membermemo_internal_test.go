package resolve

import (
	"strconv"
	"testing"
)

func TestMemberMemoBoundAndForget(t *testing.T) {
	var m memberMemo
	for i := range memberMemoMax {
		m.put("corp", strconv.Itoa(i), "u"+strconv.Itoa(i))
	}
	// Replacing an entry when full keeps the others.
	m.put("corp", "0", "u0b")
	if got, ok := m.get("corp", "0"); !ok || got != "u0b" || len(m.m) != memberMemoMax {
		t.Fatalf("after replacing: get = %q, %v; %d entries, want u0b and %d", got, ok, len(m.m), memberMemoMax)
	}
	// A new entry when full starts over.
	m.put("corp", "new", "unew")
	if len(m.m) != 1 {
		t.Errorf("after a new entry at the bound: %d entries, want 1", len(m.m))
	}
	if _, ok := m.get("corp", "1"); ok {
		t.Error("old entry survived the reset")
	}
	// forget drops only the userid it was told about.
	m.forget("corp", "new", "other")
	if got, _ := m.get("corp", "new"); got != "unew" {
		t.Errorf("forget(other userid) dropped the entry: %q", got)
	}
	m.forget("corp", "new", "unew")
	if _, ok := m.get("corp", "new"); ok {
		t.Error("forget kept the entry")
	}
	// The corp is part of the key.
	m.put("corp2", "p", "x")
	if _, ok := m.get("corp", "p"); ok {
		t.Error("entry of corp2 found in corp")
	}
}
