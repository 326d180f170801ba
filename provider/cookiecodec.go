package provider

import (
	"github.com/gorilla/securecookie"
)

// CookieCodec seals cookie values with securecookie (HMAC-SHA256
// authentication, AES encryption, a timestamp) and serialises them as
// JSON, much cheaper than securecookie's default gob on every login.
// Values sealed with gob under the same keys, as earlier versions set
// them, are still read, so an upgrade keeps browsers signed in.
type CookieCodec struct {
	json, gob *securecookie.SecureCookie
}

// NewCookieCodec returns a codec with the given keys; values older than
// maxAge seconds are refused (0: securecookie's default of 30 days).
func NewCookieCodec(hashKey, blockKey []byte, maxAge int) *CookieCodec {
	c := &CookieCodec{
		json: securecookie.New(hashKey, blockKey).SetSerializer(securecookie.JSONEncoder{}),
		gob:  securecookie.New(hashKey, blockKey),
	}
	if maxAge > 0 {
		c.json.MaxAge(maxAge)
		c.gob.MaxAge(maxAge)
	}
	return c
}

// Encode seals v as the value of the cookie name.
func (c *CookieCodec) Encode(name string, v any) (string, error) {
	return c.json.Encode(name, v)
}

// Decode opens the value of the cookie name into dst.
func (c *CookieCodec) Decode(name, value string, dst any) error {
	err := c.json.Decode(name, value, dst)
	if err == nil {
		return nil
	}
	if gobErr := c.gob.Decode(name, value, dst); gobErr == nil {
		return nil
	}
	return err
}
