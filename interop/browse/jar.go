package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// fileJar is an http.CookieJar kept in a JSON file, so that consecutive
// runs of the browser share cookies the way one browser profile does (a
// login, then a refresh, then a logout). It implements what the loopback
// relying parties need: host-only and domain cookies, paths, expiry,
// Secure (sent only over https), deletion by Max-Age or a past Expires.
// Like a browser, it ignores ports.
type fileJar struct {
	path string

	// mu guards cookies.
	mu      sync.Mutex
	cookies []jarCookie
}

// jarCookie is one stored cookie.
type jarCookie struct {
	Name     string    `json:"name"`
	Value    string    `json:"value"`
	Domain   string    `json:"domain"`
	HostOnly bool      `json:"host_only"`
	Path     string    `json:"path"`
	Secure   bool      `json:"secure"`
	Expires  time.Time `json:"expires,omitzero"`
}

// loadJar reads the jar file; a missing file is an empty jar. An empty
// path is a jar that is never saved.
func loadJar(path string) (*fileJar, error) {
	j := &fileJar{path: path}
	if path == "" {
		return j, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return j, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read cookie jar: %w", err)
	}
	if err := json.Unmarshal(b, &j.cookies); err != nil {
		return nil, fmt.Errorf("decode cookie jar %s: %w", path, err)
	}
	return j, nil
}

// save writes the jar file, dropping expired cookies.
func (j *fileJar) save() error {
	if j.path == "" {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	now := time.Now()
	live := j.cookies[:0]
	for _, c := range j.cookies {
		if c.Expires.IsZero() || c.Expires.After(now) {
			live = append(live, c)
		}
	}
	j.cookies = live
	b, err := json.MarshalIndent(j.cookies, "", "  ")
	if err != nil {
		return fmt.Errorf("encode cookie jar: %w", err)
	}
	if err := os.WriteFile(j.path, b, 0o600); err != nil {
		return fmt.Errorf("write cookie jar: %w", err)
	}
	return nil
}

// SetCookies implements http.CookieJar.
func (j *fileJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	host := strings.ToLower(u.Hostname())
	now := time.Now()
	for _, c := range cookies {
		jc := jarCookie{Name: c.Name, Value: c.Value, Path: c.Path, Secure: c.Secure, HostOnly: c.Domain == ""}
		jc.Domain = host
		if !jc.HostOnly {
			d := strings.ToLower(strings.TrimPrefix(c.Domain, "."))
			if d != host && !strings.HasSuffix(host, "."+d) {
				continue // a cookie for a domain the response does not belong to
			}
			jc.Domain = d
		}
		if jc.Path == "" || !strings.HasPrefix(jc.Path, "/") {
			jc.Path = defaultPath(u.Path)
		}
		switch {
		case c.MaxAge < 0:
			jc.Expires = now.Add(-time.Second)
		case c.MaxAge > 0:
			jc.Expires = now.Add(time.Duration(c.MaxAge) * time.Second)
		case !c.Expires.IsZero():
			jc.Expires = c.Expires
		}
		j.put(jc, now)
	}
}

// put replaces the cookie with jc's name, domain and path, or adds jc;
// an expired jc only deletes. Callers hold mu.
func (j *fileJar) put(jc jarCookie, now time.Time) {
	for i, c := range j.cookies {
		if c.Name == jc.Name && c.Domain == jc.Domain && c.Path == jc.Path {
			j.cookies = append(j.cookies[:i], j.cookies[i+1:]...)
			break
		}
	}
	if jc.Expires.IsZero() || jc.Expires.After(now) {
		j.cookies = append(j.cookies, jc)
	}
}

// Cookies implements http.CookieJar.
func (j *fileJar) Cookies(u *url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	host := strings.ToLower(u.Hostname())
	path := u.Path
	if path == "" {
		path = "/"
	}
	now := time.Now()
	var out []*http.Cookie
	for _, c := range j.cookies {
		if !c.Expires.IsZero() && !c.Expires.After(now) {
			continue
		}
		if c.Secure && u.Scheme != "https" {
			continue
		}
		if c.HostOnly && host != c.Domain || !c.HostOnly && host != c.Domain && !strings.HasSuffix(host, "."+c.Domain) {
			continue
		}
		if !pathMatch(path, c.Path) {
			continue
		}
		out = append(out, &http.Cookie{Name: c.Name, Value: c.Value})
	}
	return out
}

// defaultPath is RFC 6265 §5.1.4's default cookie path.
func defaultPath(p string) string {
	i := strings.LastIndex(p, "/")
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// pathMatch is RFC 6265 §5.1.4's path-match.
func pathMatch(reqPath, cookiePath string) bool {
	if reqPath == cookiePath {
		return true
	}
	if !strings.HasPrefix(reqPath, cookiePath) {
		return false
	}
	return strings.HasSuffix(cookiePath, "/") || reqPath[len(cookiePath)] == '/'
}
