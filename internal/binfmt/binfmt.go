// Package binfmt is the compact binary form of the values dingbridge
// seals into cookies and URLs: the login state and the pending
// authorization request. It is a flat sequence of fields, each written
// and read in a fixed order by the value's own AppendBinary and
// UnmarshalBinary, behind a format version byte of the value's choosing:
//
//   - a string or byte string is its length (uvarint) and its bytes;
//   - a list of strings is its count (uvarint) and each string;
//   - a map of strings is its count and each key and value, keys sorted;
//   - an integer is a varint, a boolean one byte (0 or 1).
//
// A Reader never panics on short or hostile input: the first problem
// sticks (Err) and every later read returns a zero value.
package binfmt

import (
	"encoding/binary"
	"errors"
	"slices"
)

// AppendString appends s.
func AppendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// AppendBytes appends p.
func AppendBytes(b, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

// AppendStrings appends a list of strings; nil and empty lists are alike.
func AppendStrings(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = AppendString(b, s)
	}
	return b
}

// AppendMap appends a map of strings, its keys in order; nil and empty
// maps are alike.
func AppendMap(b []byte, m map[string]string) []byte {
	b = binary.AppendUvarint(b, uint64(len(m)))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b = AppendString(b, k)
		b = AppendString(b, m[k])
	}
	return b
}

// AppendInt appends v.
func AppendInt(b []byte, v int64) []byte { return binary.AppendVarint(b, v) }

// AppendBool appends v.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// ErrMalformed is what a Reader reports of input it cannot read.
var ErrMalformed = errors.New("binfmt: malformed value")

// A Reader reads the fields of one value in the order they were appended.
type Reader struct {
	b   []byte
	err error
}

// NewReader returns a Reader of b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

func (r *Reader) fail() { r.err = ErrMalformed; r.b = nil }

// length reads a length or count that must fit in what remains, each
// unit taking at least min bytes.
func (r *Reader) length(min int) int {
	if r.err != nil {
		return 0
	}
	n, k := binary.Uvarint(r.b)
	if k <= 0 || n > uint64(len(r.b)-k)/uint64(min) {
		r.fail()
		return 0
	}
	r.b = r.b[k:]
	return int(n)
}

func (r *Reader) take(n int) []byte {
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

// Byte reads one byte (a format version).
func (r *Reader) Byte() byte {
	if r.err != nil || len(r.b) == 0 {
		r.fail()
		return 0
	}
	return r.take(1)[0]
}

// String reads a string.
func (r *Reader) String() string { return string(r.take(r.length(1))) }

// Bytes reads a byte string; empty is nil.
func (r *Reader) Bytes() []byte {
	n := r.length(1)
	if n == 0 {
		return nil
	}
	return slices.Clone(r.take(n))
}

// Strings reads a list of strings; empty is nil.
func (r *Reader) Strings() []string {
	n := r.length(1) // each string is at least its length byte
	if n == 0 {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = r.String()
	}
	return ss
}

// Map reads a map of strings; empty is nil.
func (r *Reader) Map() map[string]string {
	n := r.length(2)
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n)
	for range n {
		k := r.String()
		m[k] = r.String()
	}
	return m
}

// Int reads an integer.
func (r *Reader) Int() int64 {
	if r.err != nil {
		return 0
	}
	v, k := binary.Varint(r.b)
	if k <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[k:]
	return v
}

// Bool reads a boolean.
func (r *Reader) Bool() bool {
	switch r.Byte() {
	case 0:
		return false
	case 1:
		return true
	}
	r.fail()
	return false
}

// Err reports the first problem, or bytes left over after the last field.
func (r *Reader) Err() error {
	if r.err == nil && len(r.b) > 0 {
		return ErrMalformed
	}
	return r.err
}
