package dingtalktest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
	"time"
)

// SignatureWindow is how far a signed call's timestamp may be from the
// simulator clock.
const SignatureWindow = time.Minute

// Sign computes the DingTalk HMAC-SHA256 signature of message with secret,
// Base64 encoded (not URL-encoded). E12 signs the timestamp alone; E19 signs
// timestamp + "\n" + suiteTicket.
func Sign(secret, message string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(message))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// sigError is a failed signature check: the errcode and errmsg to answer.
type sigError struct {
	code int
	msg  string
}

// checkSignature verifies accessKey, timestamp and signature of a signed oapi
// call. secretOf finds the secret of an access key; message builds the signed
// text from the timestamp. The query is decoded once, as DingTalk does, so a
// double-encoded signature fails. Callers hold mu.
func (s *Simulator) checkSignature(q url.Values, secretOf func(string) (string, bool), message func(string) string) *sigError {
	ts := q.Get("timestamp")
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || ms < 1e12 || ms > 1e14 {
		return &sigError{853001, "时间戳参数错误，需要毫秒级的Unix时间戳"}
	}
	secret, ok := secretOf(q.Get("accessKey"))
	if !ok {
		return &sigError{853003, "accessKey不存在"}
	}
	d := s.clock().Sub(time.UnixMilli(ms))
	if d > SignatureWindow || d < -SignatureWindow {
		return &sigError{853002, "时间戳与钉钉服务器时间相差超过1分钟"}
	}
	want := Sign(secret, message(ts))
	if !hmac.Equal([]byte(q.Get("signature")), []byte(want)) {
		return &sigError{853004, "签名不匹配，请确认签名已做URL编码"}
	}
	return nil
}
