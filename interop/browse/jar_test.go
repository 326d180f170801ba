package main

import (
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"testing"
)

func cookieNames(cs []*http.Cookie) []string {
	var names []string
	for _, c := range cs {
		names = append(names, c.Name+"="+c.Value)
	}
	slices.Sort(names)
	return names
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestFileJarScopesAndPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jar.json")
	j, err := loadJar(path)
	if err != nil {
		t.Fatal(err)
	}
	j.SetCookies(mustURL(t, "http://127.0.0.1:5555/dingbridge/login"), []*http.Cookie{
		{Name: "session", Value: "s1", Path: "/dingbridge"},
		{Name: "secure", Value: "x", Path: "/", Secure: true},
		{Name: "default-path", Value: "d"}, // path defaults to /dingbridge
		{Name: "foreign", Value: "f", Domain: "example.com"},
	})
	j.SetCookies(mustURL(t, "http://127.0.0.1:4180/oauth2/callback"), []*http.Cookie{
		{Name: "_oauth2_proxy", Value: "p", Path: "/"},
	})
	if err := j.save(); err != nil {
		t.Fatal(err)
	}

	j2, err := loadJar(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		url  string
		want []string
	}{
		// Ports are ignored, like a browser does.
		{"http://127.0.0.1:5555/dingbridge/authorize", []string{"_oauth2_proxy=p", "default-path=d", "session=s1"}},
		{"http://127.0.0.1:4180/", []string{"_oauth2_proxy=p"}},
		{"http://127.0.0.1:5555/dingbridgex", []string{"_oauth2_proxy=p"}},
		{"https://127.0.0.1/", []string{"_oauth2_proxy=p", "secure=x"}},
		{"http://localhost:5555/dingbridge/", nil},
	}
	for _, tt := range tests {
		if got := cookieNames(j2.Cookies(mustURL(t, tt.url))); !slices.Equal(got, tt.want) {
			t.Errorf("Cookies(%s) = %v, want %v", tt.url, got, tt.want)
		}
	}
}

func TestFileJarReplacesAndDeletes(t *testing.T) {
	j, err := loadJar("")
	if err != nil {
		t.Fatal(err)
	}
	u := mustURL(t, "http://127.0.0.1:5555/")
	j.SetCookies(u, []*http.Cookie{{Name: "a", Value: "1", Path: "/"}, {Name: "b", Value: "1", Path: "/"}})
	j.SetCookies(u, []*http.Cookie{{Name: "a", Value: "2", Path: "/"}, {Name: "b", Path: "/", MaxAge: -1}})
	if got, want := cookieNames(j.Cookies(u)), []string{"a=2"}; !slices.Equal(got, want) {
		t.Errorf("Cookies() = %v, want %v", got, want)
	}
}
