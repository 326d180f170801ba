package provider

import (
	"context"
	"errors"
	"net/http"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Authentication challenges (WWW-Authenticate) of the endpoints that
// authenticate their caller.
const (
	basicChallenge        = `Basic realm="dingbridge"`
	bearerChallenge       = `Bearer realm="dingbridge"`
	invalidTokenChallenge = `Bearer realm="dingbridge", error="invalid_token"`
	scopeChallenge        = `Bearer realm="dingbridge", error="insufficient_scope"`
)

// challengeWriter adds a WWW-Authenticate header, chosen by status, just
// before the status is written.
type challengeWriter struct {
	http.ResponseWriter
	challenge func(status int) string
	wrote     bool
}

func (c *challengeWriter) WriteHeader(status int) {
	if !c.wrote {
		c.wrote = true
		if v := c.challenge(status); v != "" && c.Header().Get("WWW-Authenticate") == "" {
			c.Header().Set("WWW-Authenticate", v)
		}
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *challengeWriter) Write(b []byte) (int, error) {
	if !c.wrote {
		c.WriteHeader(http.StatusOK)
	}
	return c.ResponseWriter.Write(b)
}

func (c *challengeWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// withClientChallenge answers a failed client authentication (401
// invalid_client) with a Basic challenge (RFC 6749 section 5.2).
func withClientChallenge(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&challengeWriter{ResponseWriter: w, challenge: func(status int) string {
			if status == http.StatusUnauthorized {
				return basicChallenge
			}
			return ""
		}}, r)
	})
}

// withBearerChallenge gives userinfo's errors their RFC 6750 challenge: a
// bare one when no token was sent, invalid_token with 401 and
// insufficient_scope with 403.
func withBearerChallenge(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent := r.Header.Get("Authorization") != "" || r.URL.Query().Has("access_token")
		next.ServeHTTP(&challengeWriter{ResponseWriter: w, challenge: func(status int) string {
			switch {
			case status == http.StatusUnauthorized && !sent:
				return bearerChallenge
			case status == http.StatusUnauthorized:
				return invalidTokenChallenge
			case status == http.StatusForbidden:
				return scopeChallenge
			}
			return ""
		}}, r)
	})
}

// UserInfo answers with userInfo, mapping its errors to RFC 6750: an
// access token that is malformed, unknown, expired or revoked is
// invalid_token (401); insufficient_scope stays 403; anything else is a
// server error.
func (s *server) UserInfo(ctx context.Context, r *op.Request[oidc.UserInfoRequest]) (*op.Response, error) {
	resp, err := s.userInfo(ctx, r)
	if err == nil {
		return resp, nil
	}
	var oerr *oidc.Error
	switch {
	case !errors.As(err, &oerr):
		return nil, oidc.ErrServerError().WithParent(err)
	case oerr.ErrorType == oidc.AccessDenied || oerr.ErrorType == "invalid_token":
		return nil, op.NewStatusError(&oidc.Error{ErrorType: "invalid_token",
			Description: "the access token is invalid, expired or revoked"}, http.StatusUnauthorized)
	}
	return nil, err
}
