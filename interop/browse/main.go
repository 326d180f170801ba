// Command browse is the interop suite's browser: an HTTP client with a
// cookie jar (kept in a file between runs) that starts at a URL, follows
// redirects, and on the way signs a person in through the DingTalk
// simulator: on dingbridge's QR page it follows the link to DingTalk's
// login page, and on the simulator's login page (/oauth2/auth) it submits
// the member pick for -user, the form the simulator's and
// provider/login's tests post. It stops at the first URL starting with
// -stop (not requested; for a relying party's callback that only a
// command-line program reads) or at the first page under -until, and
// prints that URL on the first line, then the page's body.
//
//	browse -jar /tmp/jar.json -user ding…:alice.wang -stop http://127.0.0.1:5556/callback 'http://127.0.0.1:5555/authorize?…'
//	browse -jar /tmp/jar.json -user ding…:alice.wang -until http://127.0.0.1:4180/ http://127.0.0.1:4180/
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
)

func main() {
	var o options
	flag.StringVar(&o.jar, "jar", "", "cookie jar `file` (JSON; created when missing)")
	flag.StringVar(&o.user, "user", "", "member to pick on the DingTalk login page: `corpId:userId`")
	flag.StringVar(&o.stop, "stop", "", "stop before requesting a URL with this `prefix` and print it")
	flag.StringVar(&o.until, "until", "", "stop at the first page under this URL `prefix` and print it with its body")
	flag.StringVar(&o.login, "login", "any", "whether the DingTalk login page must appear: `any`, required (a fresh login) or forbidden (single sign-on)")
	flag.IntVar(&o.maxSteps, "max-steps", 40, "give up after this many requests")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: browse [flags] START_URL")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 || (o.stop == "") == (o.until == "") || !slices.Contains([]string{"any", "required", "forbidden"}, o.login) {
		flag.Usage()
		os.Exit(2)
	}
	o.start = flag.Arg(0)
	res, err := run(o)
	if err != nil {
		var ue *unexpectedPage
		if errors.As(err, &ue) {
			fmt.Fprintf(os.Stderr, "browse: %v\n%s\n", err, ue.snippet())
		} else {
			fmt.Fprintf(os.Stderr, "browse: %v\n", err)
		}
		os.Exit(1)
	}
	fmt.Println(res.url)
	if res.body != "" {
		fmt.Println(res.body)
	}
}

// options are the command-line flags.
type options struct {
	jar, user, stop, until, start, login string
	maxSteps                             int
}

// result is where the browser stopped.
type result struct {
	url  string
	body string
}

// unexpectedPage is a page the browser does not know what to do with.
type unexpectedPage struct {
	status int
	url    string
	body   string
}

func (e *unexpectedPage) Error() string {
	return fmt.Sprintf("unexpected page: HTTP %d at %s", e.status, e.url)
}

// snippet is the start of the page's text, for the failure report.
func (e *unexpectedPage) snippet() string {
	s := strings.Join(strings.Fields(stripTags(e.body)), " ")
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return s
}
