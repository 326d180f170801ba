package binfmt

import (
	"errors"
	"reflect"
	"testing"
)

type sample struct {
	Version byte
	S       string
	Empty   string
	B       []byte
	L       []string
	M       map[string]string
	I, Neg  int64
	T, F    bool
}

func (s sample) append(b []byte) []byte {
	b = append(b, s.Version)
	b = AppendString(b, s.S)
	b = AppendString(b, s.Empty)
	b = AppendBytes(b, s.B)
	b = AppendStrings(b, s.L)
	b = AppendMap(b, s.M)
	b = AppendInt(b, s.I)
	b = AppendInt(b, s.Neg)
	b = AppendBool(b, s.T)
	return AppendBool(b, s.F)
}

func read(b []byte) (sample, error) {
	r := NewReader(b)
	s := sample{Version: r.Byte(), S: r.String(), Empty: r.String(), B: r.Bytes(), L: r.Strings(), M: r.Map(),
		I: r.Int(), Neg: r.Int(), T: r.Bool(), F: r.Bool()}
	return s, r.Err()
}

func TestRoundTrip(t *testing.T) {
	in := sample{Version: 3, S: "状态 state", B: []byte{0, 1, 255}, L: []string{"openid", "", "profile"},
		M: map[string]string{"b": "2", "a": "", "": "x"}, I: 1 << 62, Neg: -5, T: true}
	enc := in.append(nil)
	out, err := read(enc)
	if err != nil || !reflect.DeepEqual(out, in) {
		t.Fatalf("round trip = %+v, %v; want %+v", out, err, in)
	}
	// Maps are written in key order: the same map gives the same bytes.
	if again := in.append(nil); string(again) != string(enc) {
		t.Error("two encodings of one value differ")
	}
	// Empty lists and maps read back as nil, as omitempty JSON did.
	out, err = read(sample{L: []string{}, M: map[string]string{}}.append(nil))
	if err != nil || out.L != nil || out.M != nil || out.B != nil {
		t.Errorf("empty = %+v, %v", out, err)
	}
}

func TestMalformed(t *testing.T) {
	enc := sample{S: "s", B: []byte("b"), L: []string{"l"}, M: map[string]string{"k": "v"}, I: 300, T: true}.append(nil)
	for n := range len(enc) {
		if _, err := read(enc[:n]); !errors.Is(err, ErrMalformed) {
			t.Errorf("%d of %d bytes: err = %v", n, len(enc), err)
		}
	}
	if _, err := read(append(enc, 0)); !errors.Is(err, ErrMalformed) {
		t.Errorf("a byte left over: err = %v", err)
	}
	// Lengths and counts larger than the input, and a boolean that is
	// neither 0 nor 1, are refused without allocating for them.
	for _, bad := range [][]byte{
		{0, 0xff, 0xff, 0xff, 0xff, 0x0f},                                              // string length 2³²-1
		{0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f},                                        // list count
		{0, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, // varint overflow
		append(sample{}.append(nil)[:len(sample{}.append(nil))-1], 2),
	} {
		if _, err := read(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("% x: err = %v", bad, err)
		}
	}
}
