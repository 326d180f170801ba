package dingtalk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// maxBody bounds how much of a reply is read.
const maxBody = 1 << 20

// host selects one of the two API families; the family decides where the
// access token goes and how errors look.
type host int

const (
	oapiHost host = iota // oapi.dingtalk.com: ?access_token=, HTTP 200 + errcode
	apiHost              // api.dingtalk.com: x-acs-dingtalk-access-token, HTTP 4xx/5xx + code
)

// retryPolicy says which failures a call may retry.
type retryPolicy int

const (
	// retryIdempotent retries transient and throttled failures.
	retryIdempotent retryPolicy = iota
	// retryBeforeSend retries only failures that happened before the
	// request could reach DingTalk (dial errors). Used for calls carrying a
	// one-time user code.
	retryBeforeSend
)

// call is one DingTalk request.
type call struct {
	host   host
	method string
	path   string     // absolute path, no query
	query  url.Values // nil for none
	token  string     // placed per host; empty for none
	body   any        // JSON-encoded when non-nil
	retry  retryPolicy
	// secrets are request values (secrets, codes, tokens) to scrub from
	// DingTalk's error messages.
	secrets []string
}

func (cl *call) endpoint() string { return cl.method + " " + cl.path }

// do sends cl, retrying per its policy, and decodes a successful reply into
// out (nil to discard).
func (c *Client) do(ctx context.Context, cl *call, out any) error {
	for attempt := 1; ; attempt++ {
		err := c.once(ctx, cl, out)
		if err == nil {
			return nil
		}
		if attempt >= c.retry.Attempts || ctx.Err() != nil || !retryable(cl.retry, err) {
			return err
		}
		wait := c.backoff(attempt, KindOf(err) == KindThrottled)
		c.log.WarnContext(ctx, "dingtalk: retrying", "endpoint", cl.endpoint(), "attempt", attempt, "wait", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

func retryable(p retryPolicy, err error) bool {
	if p == retryBeforeSend {
		return isDialError(err)
	}
	k := KindOf(err)
	return k == KindTransient || k == KindThrottled
}

// isDialError reports a failure to connect, which means nothing was sent.
func isDialError(err error) bool {
	var te *TransportError
	if !errors.As(err, &te) {
		return false
	}
	var op *net.OpError
	return errors.As(te.Err, &op) && op.Op == "dial"
}

// backoff returns the wait before retry number attempt (1-based):
// BaseDelay·2^(attempt−1) capped at MaxDelay, with jitter in [½d, d]; at
// least ThrottleDelay after a throttled reply.
func (c *Client) backoff(attempt int, throttled bool) time.Duration {
	d := c.retry.BaseDelay << (attempt - 1)
	if d > c.retry.MaxDelay || d <= 0 {
		d = c.retry.MaxDelay
	}
	d = d/2 + rand.N(d/2+1)
	if throttled && d < c.retry.ThrottleDelay {
		d = c.retry.ThrottleDelay + rand.N(c.retry.ThrottleDelay/4+1)
	}
	return d
}

func (c *Client) once(ctx context.Context, cl *call, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	base := c.ep.OAPI
	if cl.host == apiHost {
		base = c.ep.API
	}
	q := url.Values{}
	for k, v := range cl.query {
		q[k] = v
	}
	if cl.token != "" && cl.host == oapiHost {
		q.Set("access_token", cl.token)
	}
	u := base + cl.path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var body io.Reader
	if cl.body != nil {
		b, err := json.Marshal(cl.body)
		if err != nil {
			return fmt.Errorf("dingtalk: %s: encode request: %w", cl.endpoint(), err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u, body)
	if err != nil {
		return &TransportError{Endpoint: cl.endpoint(), Err: stripURL(err)}
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cl.token != "" && cl.host == apiHost {
		req.Header.Set("x-acs-dingtalk-access-token", cl.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return &TransportError{Endpoint: cl.endpoint(), Err: stripURL(err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return &TransportError{Endpoint: cl.endpoint(), Err: stripURL(err)}
	}
	return decodeReply(cl, resp.StatusCode, data, out)
}

// stripURL drops the *url.Error wrapper, whose text contains the full URL
// with its query (secrets, codes, tokens).
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// envelope holds every error field either host family uses, in every
// spelling decodeLenient folds together.
type envelope struct {
	ErrCode    *string `json:"errcode"`
	ErrMsg     string  `json:"errmsg"`
	SubCode    string  `json:"sub_code"`
	SubMsg     string  `json:"sub_msg"`
	Code       *string `json:"code"`
	Message    string  `json:"message"`
	RequestID  string  `json:"requestid"`
	RequestID2 string  `json:"request_id"`
	// Punish and Status appear in the JSON variant of the IP-ban reply:
	// {"status":1111,"wait":5,"source":"x5","punish":"deny","uuid":"…"}.
	Punish string `json:"punish"`
}

var subCodeInMsg = regexp.MustCompile(`subcode=([^,\]\s]+)`)

// decodeReply turns a reply into out or an *APIError.
func decodeReply(cl *call, status int, data []byte, out any) error {
	doc, err := parseLenient(data)
	if err != nil {
		return nonJSONError(cl, status, data)
	}
	var env envelope
	if err := doc.assign(&env); err != nil {
		return nonJSONError(cl, status, data)
	}
	if ae := env.apiError(status); ae != nil {
		ae.Endpoint = cl.endpoint()
		ae.Message = redact(ae.Message, cl.secrets)
		ae.SubMessage = redact(ae.SubMessage, cl.secrets)
		return ae
	}
	if out == nil {
		return nil
	}
	if err := doc.assign(out); err != nil {
		return fmt.Errorf("dingtalk: %s: decode reply: %w", cl.endpoint(), err)
	}
	return nil
}

func (env *envelope) apiError(status int) *APIError {
	reqID := env.RequestID
	if reqID == "" {
		reqID = env.RequestID2
	}
	if env.Punish != "" {
		return &APIError{HTTPStatus: status, Message: "blocked by DingTalk's IP rate limit (punish " + env.Punish + ")", RequestID: reqID, Kind: KindThrottled}
	}
	errcode := ""
	if env.ErrCode != nil {
		errcode = strings.TrimSpace(*env.ErrCode)
	}
	failed := errcode != "" && errcode != "0"
	if status/100 == 2 && !failed {
		return nil
	}
	ae := &APIError{HTTPStatus: status, RequestID: reqID}
	if env.Code != nil && *env.Code != "" && status/100 != 2 {
		ae.Code, ae.Message = *env.Code, env.Message
	} else {
		ae.Code, ae.Message = errcode, env.ErrMsg
		if ae.Message == "" {
			ae.Message = env.Message
		}
	}
	ae.SubCode, ae.SubMessage = env.SubCode, env.SubMsg
	if ae.SubCode == "" && ae.Code == "88" {
		if m := subCodeInMsg.FindStringSubmatch(ae.Message); m != nil {
			ae.SubCode = m[1]
		}
	}
	ae.Kind = Classify(status, ae.Code, ae.SubCode)
	return ae
}

// nonJSONError classifies a body that is not a JSON object: a gateway error
// page on 5xx (transient), DingTalk's IP-ban HTML page (throttled), or
// something else.
func nonJSONError(cl *call, status int, data []byte) *APIError {
	ae := &APIError{HTTPStatus: status, Endpoint: cl.endpoint(), Message: "reply is not DingTalk JSON", Kind: KindOther}
	lower := strings.ToLower(string(data[:min(len(data), 4096)]))
	switch {
	case status >= 500:
		ae.Kind = KindTransient
	case status == http.StatusTooManyRequests || strings.Contains(lower, "<html") || strings.Contains(lower, "punish"):
		ae.Message = "reply is not DingTalk JSON (likely the IP-ban page)"
		ae.Kind = KindThrottled
	}
	return ae
}

func redact(s string, secrets []string) string {
	for _, v := range secrets {
		if len(v) >= 4 {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}
