// Command echo is the upstream the interop suite protects with
// oauth2-proxy and mod_auth_openidc: it answers every request with its
// method and path on the first line, then one "Name: value" line per
// header value (names canonical, sorted), as plain UTF-8 text, so the
// runner can see which identity headers the relying party passed on.
//
//	echo -listen 127.0.0.1:4181
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"net/http"
	"slices"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:4181", "listen `address`")
	flag.Parse()
	srv := &http.Server{
		Addr:              *listen,
		Handler:           http.HandlerFunc(echo),
		ReadHeaderTimeout: 10 * time.Second,
	}
	log.Fatal(srv.ListenAndServe())
}

func echo(w http.ResponseWriter, r *http.Request) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s\n", r.Method, r.URL.Path)
	names := make([]string, 0, len(r.Header))
	for name := range r.Header {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for _, v := range r.Header[name] {
			fmt.Fprintf(&b, "%s: %s\n", name, v)
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b.Bytes())
}
