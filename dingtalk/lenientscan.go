package dingtalk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"unicode/utf8"
)

// The syntax check of a DingTalk reply, and the scanning the decoder
// does afterwards over the checked text (lenient.go).

// maxDepth bounds the nesting of a reply, as encoding/json does.
const maxDepth = 10000

// lenientDoc is one JSON value, well formed, that decodeLenient's rules
// assign to any number of targets.
type lenientDoc struct {
	data []byte
	top  int // offset of the value
	// ends holds, at the offset of each object, array and string, the
	// offset just past it, so that skipping one costs nothing after
	// the check.
	ends []int32
}

// A syntaxError is a reply that is not JSON. It gives the offset, never
// the text.
type syntaxError struct {
	msg    string
	offset int
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("invalid JSON: %s at offset %d", e.msg, e.offset)
}

// parseLenient checks that data starts with one JSON value; as with a
// json.Decoder, what follows it is not looked at.
func parseLenient(data []byte) (lenientDoc, error) {
	top := skipSpace(data, 0)
	if top == len(data) {
		return lenientDoc{}, &syntaxError{"no value", top}
	}
	var ends []int32
	if len(data) <= math.MaxInt32 {
		ends = make([]int32, len(data))
	}
	if _, err := skipValue(data, top, 0, ends); err != nil {
		return lenientDoc{}, err
	}
	return lenientDoc{data: data, top: top, ends: ends}, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}

// skipValue returns the offset just past the JSON value at data[i],
// checking its syntax, and records in ends (if not nil) where each
// object, array and string ends.
func skipValue(data []byte, i, depth int, ends []int32) (int, error) {
	if i >= len(data) {
		return i, &syntaxError{"unexpected end", i}
	}
	switch c := data[i]; {
	case c == '{' || c == '[':
		if depth >= maxDepth {
			return i, &syntaxError{"nested too deeply", i}
		}
		closing := byte('}')
		if c == '[' {
			closing = ']'
		}
		start := i
		i = skipSpace(data, i+1)
		if i < len(data) && data[i] == closing {
			return ended(ends, start, i+1), nil
		}
		for {
			var err error
			if c == '{' {
				if i >= len(data) || data[i] != '"' {
					return i, &syntaxError{"expected an object key", i}
				}
				if i, err = skipString(data, i, ends); err != nil {
					return i, err
				}
				i = skipSpace(data, i)
				if i >= len(data) || data[i] != ':' {
					return i, &syntaxError{"expected ':' after an object key", i}
				}
				i = skipSpace(data, i+1)
			}
			if i, err = skipValue(data, i, depth+1, ends); err != nil {
				return i, err
			}
			i = skipSpace(data, i)
			switch {
			case i >= len(data):
				return i, &syntaxError{"unexpected end", i}
			case data[i] == ',':
				i = skipSpace(data, i+1)
			case data[i] == closing:
				return ended(ends, start, i+1), nil
			default:
				return i, &syntaxError{"expected ',' or " + string(closing), i}
			}
		}
	case c == '"':
		return skipString(data, i, ends)
	case c == '-' || c >= '0' && c <= '9':
		return skipNumber(data, i)
	case c == 't':
		return skipLiteral(data, i, "true")
	case c == 'f':
		return skipLiteral(data, i, "false")
	case c == 'n':
		return skipLiteral(data, i, "null")
	}
	return i, &syntaxError{"expected a value", i}
}

// ended records in ends (if not nil) that the value at start ends at
// end, and returns end.
func ended(ends []int32, start, end int) int {
	if ends != nil {
		ends[start] = int32(end)
	}
	return end
}

func skipLiteral(data []byte, i int, lit string) (int, error) {
	if len(data)-i < len(lit) || string(data[i:i+len(lit)]) != lit {
		return i, &syntaxError{"invalid literal", i}
	}
	return i + len(lit), nil
}

// skipString returns the offset just past the string at data[i] (a
// quote), checking its escapes and that it holds no control character.
func skipString(data []byte, i int, ends []int32) (int, error) {
	start := i
	for i++; i < len(data); i++ {
		switch c := data[i]; {
		case c == '"':
			return ended(ends, start, i+1), nil
		case c < 0x20:
			return i, &syntaxError{"control character in string", i}
		case c == '\\':
			i++
			if i >= len(data) {
				return i, &syntaxError{"unexpected end", i}
			}
			switch data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(data)-i < 5 {
					return i, &syntaxError{"unexpected end", len(data)}
				}
				for _, h := range data[i+1 : i+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return i, &syntaxError{"invalid escape", i}
					}
				}
				i += 4
			default:
				return i, &syntaxError{"invalid escape", i}
			}
		}
	}
	return start, &syntaxError{"unterminated string", start}
}

// skipNumber returns the offset just past the number at data[i]:
// -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func skipNumber(data []byte, i int) (int, error) {
	digits := func(i int) int {
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		return i
	}
	if data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && data[i] >= '1' && data[i] <= '9':
		i = digits(i)
	default:
		return i, &syntaxError{"invalid number", i}
	}
	if i < len(data) && data[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return j, &syntaxError{"invalid number", j}
		}
		i = j
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return j, &syntaxError{"invalid number", j}
		}
		i = j
	}
	return i, nil
}

// end returns the offset just past the value at data[i], which
// parseLenient has checked: from ends, else by counting brackets and
// jumping over strings, without checking again.
func (d lenientDoc) end(i int) int {
	if d.ends != nil && d.ends[i] != 0 {
		return int(d.ends[i])
	}
	data := d.data
	switch data[i] {
	case '"':
		return d.strEnd(i)
	case '{', '[':
		depth := 0
		for {
			switch data[i] {
			case '"':
				i = d.strEnd(i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
	}
	switch data[i] {
	case 't', 'n':
		return i + 4
	case 'f':
		return i + 5
	}
	j, _ := skipNumber(data, i)
	return j
}

// strEnd returns the offset just past the checked string at data[i].
func (d lenientDoc) strEnd(i int) int {
	if d.ends != nil {
		return int(d.ends[i])
	}
	data := d.data
	for j := i + 1; ; j++ {
		switch data[j] {
		case '"':
			return j + 1
		case '\\':
			j++ // the escaped character; \uXXXX has no quote either
		}
	}
}

// unquoted returns the contents of the string at data[i] (a quote) and
// the offset past it. Contents without escapes that are valid UTF-8 are
// returned as they are, without copying; the others are unquoted by
// encoding/json, so that escapes, surrogates and invalid bytes come out
// as encoding/json has them.
func (d lenientDoc) unquoted(i int) ([]byte, int) {
	j := d.strEnd(i)
	raw := d.data[i+1 : j-1]
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return raw, j
	}
	var s string
	_ = json.Unmarshal(d.data[i:j], &s) // well formed: cannot fail
	return []byte(s), j
}

// str is unquoted as a string.
func (d lenientDoc) str(i int) (string, int) {
	b, j := d.unquoted(i)
	return string(b), j
}

// A member is one key of an object and the offset of its value.
type member struct {
	key []byte
	val int
}

// members appends the members of the object at data[i] to ms, in order.
func (d lenientDoc) members(i int, ms []member) []member {
	i = skipSpace(d.data, i+1)
	if d.data[i] == '}' {
		return ms
	}
	for {
		var key []byte
		key, i = d.unquoted(i)
		i = skipSpace(d.data, i)    // at ':'
		v := skipSpace(d.data, i+1) // at the value
		ms = append(ms, member{key: key, val: v})
		i = skipSpace(d.data, d.end(v))
		if d.data[i] == '}' {
			return ms
		}
		i = skipSpace(d.data, i+1) // past ','
	}
}
