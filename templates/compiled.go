package templates

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// A compiled page is a login page's output with its per-request strings
// cut out. html/template escapes every value by reflection on each
// execution, the largest cost of serving the QR page; but for one
// language and one set of present optional fields, everything else on
// the page is the same for every request. So html/template renders the
// page once with a marker in place of each per-request string, the
// output is cut at the markers, and further renders write the cut
// segments with the strings escaped in between.
//
// The escaping of each cut is not assumed: it is read back from
// html/template's own output for probe values, and a cut whose escaping
// is not one this file reproduces (html/template's for text and quoted
// attribute values, or for a URL attribute value) makes the page
// uncompilable, and it is then always executed. The tests compare both
// renderings byte for byte on hostile values.

// escaping is how html/template escaped the value at a cut.
type escaping uint8

const (
	// escapeText is html/template's htmlEscaper, attrEscaper and
	// rcdataEscaper for a plain string: text and quoted attribute
	// values.
	escapeText escaping = iota
	// escapeURL is urlFilter | urlNormalizer | attrEscaper: a quoted
	// attribute value that is a whole URL.
	escapeURL
)

// cut is where a per-request string goes in a compiled page.
type cut struct {
	slot int
	esc  escaping
}

// compiledPage is a page's output for one variant: len(segs) ==
// len(cuts)+1.
type compiledPage struct {
	segs []string
	cuts []cut
	size int
}

// pageVariant is what a compiled page is the output for besides its
// slots: the view's language and title, and which slots are non-empty
// (the templates test some of them).
type pageVariant struct {
	lang    Lang
	title   string
	present uint64
}

// pageCompiler compiles and keeps the variants of one page. slots lists
// the view's per-request strings; every other field of the view the
// template reads must be a function of the variant (language, title) or
// the same for every request.
type pageCompiler struct {
	t     *template.Template
	slots func(v *loginView) []*string
	// base builds the view a variant is compiled from: the variant's
	// language and title, and room for every slot.
	base func(lang Lang, title string) loginView

	mu    sync.Mutex
	pages map[pageVariant]*compiledPage // nil: not compilable
	n     atomic.Int32
}

// maxVariants bounds the compiled variants of a page; further variants
// are executed.
const maxVariants = 64

// render writes v's page into b, compiled when it can be.
func (c *pageCompiler) render(b *bytes.Buffer, v *loginView) error {
	vals := c.slots(v)
	key := pageVariant{lang: v.Lang, title: v.Title}
	for i, s := range vals {
		if *s != "" {
			key.present |= 1 << i
		}
	}
	c.mu.Lock()
	p, ok := c.pages[key]
	c.mu.Unlock()
	if !ok && c.n.Load() < maxVariants {
		var err error
		if p, err = c.compile(key); err != nil {
			p = nil
		}
		c.mu.Lock()
		if c.pages == nil {
			c.pages = make(map[pageVariant]*compiledPage)
		}
		if _, dup := c.pages[key]; !dup {
			c.pages[key] = p
			c.n.Add(1)
		}
		c.mu.Unlock()
	}
	if p == nil {
		return c.t.ExecuteTemplate(b, "layout", v)
	}
	n := p.size
	for _, s := range vals {
		n += len(*s) + len(*s)/2
	}
	b.Grow(n)
	for i, ct := range p.cuts {
		b.WriteString(p.segs[i])
		s := *vals[ct.slot]
		switch ct.esc {
		case escapeText:
			writeTextEscaped(b, s)
		case escapeURL:
			writeURLEscaped(b, s)
		}
	}
	b.WriteString(p.segs[len(p.segs)-1])
	return nil
}

// marker is the string compiled in place of slot i: letters and digits
// only, which no escaping changes.
func marker(i int) string { return fmt.Sprintf("zqxs%02dqxz", i) }

const (
	probeOpen  = "zqxaqxz"
	probeClose = "zqxbqxz"
	// probeText holds every character the two escapings treat
	// differently or at all; its leading '/' keeps urlFilter from
	// taking what precedes the ':' for a scheme.
	probeText = "/<\"'+& %zz%41:?#é\x00>"
	// probeScheme is a URL html/template's urlFilter refuses.
	probeScheme = "javascript:zqxcqxz"
)

// compile renders the variant with markers and probes and cuts it.
func (c *pageCompiler) compile(key pageVariant) (*compiledPage, error) {
	exec := func(set func(i int) string) (string, error) {
		v := c.base(key.lang, key.title)
		for i, s := range c.slots(&v) {
			if key.present&(1<<i) != 0 {
				*s = set(i)
			}
		}
		var b bytes.Buffer
		if err := c.t.ExecuteTemplate(&b, "layout", &v); err != nil {
			return "", err
		}
		return b.String(), nil
	}
	if v := c.base(key.lang, key.title); len(c.slots(&v)) > 64 {
		return nil, errors.New("templates: more than 64 slots")
	}
	out, err := exec(marker)
	if err != nil {
		return nil, err
	}
	p := &compiledPage{}
	rest := out
	for {
		j := strings.Index(rest, "zqxs")
		if j < 0 {
			break
		}
		if len(rest) < j+9 || rest[j+6:j+9] != "qxz" {
			return nil, errors.New("templates: marker lookalike in a template")
		}
		slot, err := strconv.Atoi(rest[j+4 : j+6])
		if err != nil || key.present&(1<<slot) == 0 {
			return nil, errors.New("templates: unexpected marker")
		}
		p.segs = append(p.segs, rest[:j])
		p.cuts = append(p.cuts, cut{slot: slot})
		rest = rest[j+9:]
	}
	p.segs = append(p.segs, rest)
	for _, s := range p.segs {
		p.size += len(s)
	}

	// Read each cut's escaping back from html/template's output for the
	// probes, one slot at a time, the others left as markers.
	for slot := 0; slot < 64; slot++ {
		if key.present&(1<<slot) == 0 {
			continue
		}
		var idx []int
		for k, ct := range p.cuts {
			if ct.slot == slot {
				idx = append(idx, k)
			}
		}
		if len(idx) == 0 {
			continue
		}
		probed, err := exec(func(i int) string {
			if i == slot {
				return probeOpen + probeText + probeClose
			}
			return marker(i)
		})
		if err != nil {
			return nil, err
		}
		schemed, err := exec(func(i int) string {
			if i == slot {
				return probeScheme
			}
			return marker(i)
		})
		if err != nil {
			return nil, err
		}
		got := between(probed, probeOpen, probeClose)
		if len(got) != len(idx) {
			return nil, fmt.Errorf("templates: slot %d: %d probes for %d cuts", slot, len(got), len(idx))
		}
		refused := strings.Count(schemed, "#ZgotmplZ") - strings.Count(out, "#ZgotmplZ")
		var text, url strings.Builder
		writeTextEscaped(&text, probeText)
		writeURLEscaped(&url, probeText)
		for n, k := range idx {
			switch got[n] {
			case text.String():
				p.cuts[k].esc = escapeText
			case url.String():
				p.cuts[k].esc = escapeURL
				refused--
			default:
				return nil, fmt.Errorf("templates: slot %d escaped as %q, not reproduced", slot, got[n])
			}
		}
		// Every URL cut must refuse the javascript: scheme, as
		// writeURLEscaped does.
		if refused != 0 {
			return nil, fmt.Errorf("templates: slot %d: URL filtering not reproduced", slot)
		}
	}
	return p, nil
}

// between returns the strings between each open and the next close in s.
func between(s, open, close string) []string {
	var out []string
	for {
		i := strings.Index(s, open)
		if i < 0 {
			return out
		}
		s = s[i+len(open):]
		j := strings.Index(s, close)
		if j < 0 {
			return out
		}
		out = append(out, s[:j])
		s = s[j+len(close):]
	}
}

// stringWriter is what the escapers write to.
type stringWriter interface {
	WriteString(string) (int, error)
	WriteByte(byte) error
}

// writeTextEscaped writes s as html/template's htmlEscaper writes a plain
// string: NUL, quotes, '&', '+', '<' and '>' replaced, every other byte
// (invalid UTF-8 included) kept.
func writeTextEscaped(w stringWriter, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var repl string
		switch s[i] {
		case 0:
			repl = "\uFFFD"
		case '"':
			repl = "&#34;"
		case '&':
			repl = "&amp;"
		case '\'':
			repl = "&#39;"
		case '+':
			repl = "&#43;"
		case '<':
			repl = "&lt;"
		case '>':
			repl = "&gt;"
		default:
			continue
		}
		w.WriteString(s[last:i])
		w.WriteString(repl)
		last = i + 1
	}
	w.WriteString(s[last:])
}

// writeURLEscaped writes s as html/template writes a whole URL attribute
// value: a scheme other than http, https or mailto replaced by
// "#ZgotmplZ" (urlFilter), then every byte outside RFC 3986's unreserved
// and reserved sets percent-encoded, valid escapes kept (urlNormalizer),
// then escaped for the attribute.
func writeURLEscaped(w stringWriter, s string) {
	if scheme, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(scheme, "/") &&
		!strings.EqualFold(scheme, "http") && !strings.EqualFold(scheme, "https") && !strings.EqualFold(scheme, "mailto") {
		s = "#ZgotmplZ"
	}
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '&':
			w.WriteString("&amp;")
		case c == '+':
			w.WriteString("&#43;")
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			strings.IndexByte("-._~!#$*,/:;=?@[]", c) >= 0,
			c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			w.WriteByte(c)
		default:
			w.WriteByte('%')
			w.WriteByte(hex[c>>4])
			w.WriteByte(hex[c&0xf])
		}
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
