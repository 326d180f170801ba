package provider

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/gorilla/securecookie"
)

// CookieCodec seals the values dingbridge hands to browsers: cookies, and
// the handles of pending authorization requests that login URLs carry.
//
// A string, or a value with its own binary form (encoding.BinaryAppender
// and encoding.BinaryUnmarshaler: the login state, a pending request), is
// sealed compactly: base64url (no padding) of
//
//	version (1 byte, 0x02) ‖ salt (16 random bytes) ‖ issued (8 bytes, Unix seconds, big-endian) ‖ AES-256-GCM ciphertext and tag
//
// with the GCM key HMAC-SHA256(k, salt) and a zero nonce (saltedGCM), k
// derived from both cookie keys, and the header and the cookie's name as
// additional data: a value opens only under the name it was sealed for.
// Such a value always starts with "A".
//
// Other values are sealed by securecookie (HMAC-SHA256, AES-CTR, a
// timestamp) as JSON. Values that securecookie sealed — as JSON, or as
// gob as earlier versions did — are still opened under the same keys, so
// an upgrade keeps browsers signed in and logins in progress going.
type CookieCodec struct {
	json, gob *securecookie.SecureCookie
	sealer    saltedGCM
	maxAge    int64 // seconds; 0: no limit
	maxLength int   // 0: no limit
}

// compactVersion is the first byte of a compactly sealed value.
const (
	compactVersion = 0x02
	compactHeader  = 1 + sealSaltSize + 8
)

var (
	errCookieSeal    = errors.New("cookie: not sealed by this issuer")
	errCookieExpired = errors.New("cookie: expired")
	errCookieLength  = errors.New("cookie: value too long")
)

// NewCookieCodec returns a codec with the given keys; values older than
// maxAge seconds are refused (0: securecookie's default of 30 days for
// its values, no limit for compact ones).
func NewCookieCodec(hashKey, blockKey []byte, maxAge int) *CookieCodec {
	mac := hmac.New(sha256.New, hashKey)
	mac.Write([]byte("dingbridge cookie seal\x00"))
	mac.Write(blockKey)
	c := &CookieCodec{
		json:   securecookie.New(hashKey, blockKey).SetSerializer(securecookie.JSONEncoder{}),
		gob:    securecookie.New(hashKey, blockKey),
		sealer: newSaltedGCM(mac.Sum(nil)),
	}
	if maxAge > 0 {
		c.json.MaxAge(maxAge)
		c.gob.MaxAge(maxAge)
		c.maxAge = int64(maxAge)
	}
	return c
}

// MaxLength makes Encode refuse values that would be longer than n
// characters, and Decode values that are.
func (c *CookieCodec) MaxLength(n int) *CookieCodec {
	c.json.MaxLength(n)
	c.gob.MaxLength(n)
	c.maxLength = n
	return c
}

// Encode seals v as the value of the cookie name.
func (c *CookieCodec) Encode(name string, v any) (string, error) {
	switch v.(type) {
	case string, encoding.BinaryAppender:
	default:
		return c.json.Encode(name, v)
	}
	// The payload is appended after the header and sealed in place.
	raw := make([]byte, compactHeader, compactHeader+256+16)
	switch v := v.(type) {
	case string:
		raw = append(raw, v...)
	case encoding.BinaryAppender:
		var err error
		if raw, err = v.AppendBinary(raw); err != nil {
			return "", err
		}
	}
	raw[0] = compactVersion
	rand.Read(raw[1 : 1+sealSaltSize])
	binary.BigEndian.PutUint64(raw[1+sealSaltSize:], uint64(time.Now().Unix()))
	aead, err := c.sealer.aead(raw[1 : 1+sealSaltSize])
	if err != nil {
		return "", err
	}
	raw = aead.Seal(raw[:compactHeader], zeroNonce[:], raw[compactHeader:], additionalData(raw[:compactHeader], name))
	if c.maxLength > 0 && base64.RawURLEncoding.EncodedLen(len(raw)) > c.maxLength {
		return "", errCookieLength
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

// additionalData is what a compact value's tag covers besides its
// ciphertext: the header and the cookie's name.
func additionalData(header []byte, name string) []byte {
	var buf [compactHeader + 64]byte
	return append(append(buf[:0], header...), name...)
}

// Decode opens the value of the cookie name into dst.
func (c *CookieCodec) Decode(name, value string, dst any) error {
	if len(value) > 0 && value[0] == 'A' { // securecookie's values start with a base64 digit: "M" or "N"
		return c.open(name, value, dst)
	}
	err := c.json.Decode(name, value, dst)
	if err == nil {
		return nil
	}
	if gobErr := c.gob.Decode(name, value, dst); gobErr == nil {
		return nil
	}
	return err
}

func (c *CookieCodec) open(name, value string, dst any) error {
	if c.maxLength > 0 && len(value) > c.maxLength {
		return errCookieLength
	}
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(raw) < compactHeader+16 || raw[0] != compactVersion {
		return errCookieSeal
	}
	issued := int64(binary.BigEndian.Uint64(raw[1+sealSaltSize:]))
	if c.maxAge > 0 && time.Now().Unix()-issued > c.maxAge {
		return errCookieExpired
	}
	aead, err := c.sealer.aead(raw[1 : 1+sealSaltSize])
	if err != nil {
		return err
	}
	payload, err := aead.Open(raw[compactHeader:compactHeader], zeroNonce[:], raw[compactHeader:], additionalData(raw[:compactHeader], name))
	if err != nil {
		return errCookieSeal
	}
	switch dst := dst.(type) {
	case *string:
		*dst = string(payload)
		return nil
	case encoding.BinaryUnmarshaler:
		return dst.UnmarshalBinary(payload)
	}
	return fmt.Errorf("cookie: cannot open a compact value into %T", dst)
}
