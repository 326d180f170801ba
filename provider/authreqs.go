package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dingbridge/dingbridge/internal/binfmt"
	"github.com/dingbridge/dingbridge/storage"
)

// A pending authorization request is not written to the database. Its
// handle — the authRequestID of the login URLs, the login states and
// Finish — is the request itself, sealed with the cookie keys
// (CookieCodec: AES-256-GCM, a timestamp), so that any replica sharing
// those keys can continue the login. The database learns of the
// request when the login ends: storage.CompleteLogin inserts it completed,
// with its code (LoginCompletion.Request), and a failed login stores it
// done without a code. The stored row stays until the request expires
// (the code's redemption only spends the code), so a handle whose request
// is stored is spent: the stored row, not the handle, answers. Until the
// login ends, a handle is worth what its /authorize URL is: it can be
// presented again until the request expires. A replica of an earlier
// version, which knows only stored IDs, shows such a handle the
// "expired" page, so a login that crosses versions during an upgrade
// starts again.
//
// A request whose handle would be longer than maxRequestHandle (a long
// state, many extra parameters) is stored at /authorize instead, and its
// ID is its handle.

// requestHandleName is the name CookieCodec authenticates handles under,
// so that no cookie value is accepted as a handle or the reverse.
const requestHandleName = "dingbridge-authreq"

// maxRequestHandle bounds a sealed handle, which the login flows carry in
// URLs and in their state cookies (a browser's cookie is at most 4 KiB).
const maxRequestHandle = 1100

// minSealedHandle tells handles from stored IDs, which are 22 characters
// (randomString(16)); the smallest sealed request is far longer.
const minSealedHandle = 64

// sealed reports whether handle is a sealed request rather than a stored
// request's ID.
func sealed(handle string) bool { return len(handle) >= minSealedHandle }

// heldRequest is an authorization request with the handle it goes by.
type heldRequest struct {
	storage.AuthRequest
	// Handle is the sealed request while it is pending and not stored,
	// its ID otherwise.
	Handle string
	// Sealed reports that the request went out as a sealed handle: it is
	// not stored until its login ends.
	Sealed bool
	// unsent reports a handle made in this response, not yet given to
	// the browser: nothing can present it again.
	unsent bool
}

// sealedRequest is the serialised form of a pending request: the fields
// /authorize fills, under short names to keep handles short.
type sealedRequest struct {
	ID                  string            `json:"i"`
	ClientID            string            `json:"c"`
	RedirectURI         string            `json:"r"`
	Scopes              []string          `json:"s,omitempty"`
	ResponseType        string            `json:"t,omitempty"`
	ResponseMode        string            `json:"m,omitempty"`
	State               string            `json:"st,omitempty"`
	Nonce               string            `json:"n,omitempty"`
	CodeChallenge       string            `json:"cc,omitempty"`
	CodeChallengeMethod string            `json:"cm,omitempty"`
	Prompt              []string          `json:"p,omitempty"`
	MaxAge              *int64            `json:"ma,omitempty"`
	LoginHint           string            `json:"lh,omitempty"`
	IDTokenHintSubject  string            `json:"hs,omitempty"`
	UILocales           []string          `json:"ul,omitempty"`
	ACRValues           []string          `json:"ac,omitempty"`
	Params              map[string]string `json:"x,omitempty"`
	CreatedAt           int64             `json:"ct"` // Unix microseconds
	ExpiresAt           int64             `json:"et"` // Unix microseconds
}

func sealable(r storage.AuthRequest) sealedRequest {
	return sealedRequest{
		ID: r.ID, ClientID: r.ClientID, RedirectURI: r.RedirectURI, Scopes: r.Scopes,
		ResponseType: r.ResponseType, ResponseMode: r.ResponseMode, State: r.State, Nonce: r.Nonce,
		CodeChallenge: r.CodeChallenge, CodeChallengeMethod: r.CodeChallengeMethod, Prompt: r.Prompt,
		MaxAge: r.MaxAge, LoginHint: r.LoginHint, IDTokenHintSubject: r.IDTokenHintSubject,
		UILocales: r.UILocales, ACRValues: r.ACRValues, Params: r.Params,
		CreatedAt: r.CreatedAt.UnixMicro(), ExpiresAt: r.ExpiresAt.UnixMicro(),
	}
}

// sealedRequestFormat is the version byte of a sealed request's binary
// form; a handle of another format does not open.
const sealedRequestFormat = 1

// AppendBinary appends the request's binary form (internal/binfmt).
func (s sealedRequest) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, sealedRequestFormat)
	for _, f := range []string{s.ID, s.ClientID, s.RedirectURI} {
		b = binfmt.AppendString(b, f)
	}
	b = binfmt.AppendStrings(b, s.Scopes)
	for _, f := range []string{s.ResponseType, s.ResponseMode, s.State, s.Nonce, s.CodeChallenge, s.CodeChallengeMethod} {
		b = binfmt.AppendString(b, f)
	}
	b = binfmt.AppendStrings(b, s.Prompt)
	b = binfmt.AppendBool(b, s.MaxAge != nil)
	if s.MaxAge != nil {
		b = binfmt.AppendInt(b, *s.MaxAge)
	}
	b = binfmt.AppendString(b, s.LoginHint)
	b = binfmt.AppendString(b, s.IDTokenHintSubject)
	b = binfmt.AppendStrings(b, s.UILocales)
	b = binfmt.AppendStrings(b, s.ACRValues)
	b = binfmt.AppendMap(b, s.Params)
	b = binfmt.AppendInt(b, s.CreatedAt)
	return binfmt.AppendInt(b, s.ExpiresAt), nil
}

// UnmarshalBinary reads what AppendBinary wrote.
func (s *sealedRequest) UnmarshalBinary(b []byte) error {
	r := binfmt.NewReader(b)
	if r.Byte() != sealedRequestFormat {
		return fmt.Errorf("auth request handle: unknown format")
	}
	*s = sealedRequest{ID: r.String(), ClientID: r.String(), RedirectURI: r.String(), Scopes: r.Strings(),
		ResponseType: r.String(), ResponseMode: r.String(), State: r.String(), Nonce: r.String(),
		CodeChallenge: r.String(), CodeChallengeMethod: r.String(), Prompt: r.Strings()}
	if r.Bool() {
		maxAge := r.Int()
		s.MaxAge = &maxAge
	}
	s.LoginHint, s.IDTokenHintSubject = r.String(), r.String()
	s.UILocales, s.ACRValues, s.Params = r.Strings(), r.Strings(), r.Map()
	s.CreatedAt, s.ExpiresAt = r.Int(), r.Int()
	return r.Err()
}

func (s sealedRequest) request() storage.AuthRequest {
	return storage.AuthRequest{
		ID: s.ID, ClientID: s.ClientID, RedirectURI: s.RedirectURI, Scopes: s.Scopes,
		ResponseType: s.ResponseType, ResponseMode: s.ResponseMode, State: s.State, Nonce: s.Nonce,
		CodeChallenge: s.CodeChallenge, CodeChallengeMethod: s.CodeChallengeMethod, Prompt: s.Prompt,
		MaxAge: s.MaxAge, LoginHint: s.LoginHint, IDTokenHintSubject: s.IDTokenHintSubject,
		UILocales: s.UILocales, ACRValues: s.ACRValues, Params: s.Params,
		CreatedAt: time.UnixMicro(s.CreatedAt).UTC(), ExpiresAt: time.UnixMicro(s.ExpiresAt).UTC(),
	}
}

// newRequestCodec returns the codec of request handles: the cookie keys,
// the request's binary form, and an age limit at the request lifetime
// (plus a minute for clocks of other replicas; ExpiresAt is checked as
// well). Handles that securecookie sealed as JSON, as earlier versions
// made them, still open.
func newRequestCodec(hashKey, blockKey []byte, ttl time.Duration) *CookieCodec {
	return NewCookieCodec(hashKey, blockKey, int((ttl + time.Minute).Seconds())).MaxLength(maxRequestHandle)
}

// holdAuthRequest makes the handle of a new, validated request: sealed,
// unless it would be too long (the codec refuses it), in which case the
// request is stored.
func (p *Provider) holdAuthRequest(ctx context.Context, r storage.AuthRequest) (heldRequest, error) {
	h, err := p.requests.Encode(requestHandleName, sealable(r))
	if err == nil {
		return heldRequest{AuthRequest: r, Handle: h, Sealed: true, unsent: true}, nil
	}
	if err := p.store.CreateAuthRequest(ctx, r); err != nil {
		return heldRequest{}, fmt.Errorf("create auth request: %w", err)
	}
	return heldRequest{AuthRequest: r, Handle: r.ID}, nil
}

// openHandle returns the request a sealed handle holds, without asking
// storage whether its login has ended. storage.ErrNotFound if the handle
// is not one this provider sealed or its request has expired.
func (p *Provider) openHandle(handle string) (heldRequest, error) {
	var s sealedRequest
	if err := p.requests.Decode(requestHandleName, handle, &s); err != nil {
		return heldRequest{}, fmt.Errorf("%w: auth request handle: %v", storage.ErrNotFound, err)
	}
	r := s.request()
	if !p.now().Before(r.ExpiresAt) {
		return heldRequest{}, fmt.Errorf("%w: auth request expired", storage.ErrNotFound)
	}
	return heldRequest{AuthRequest: r, Handle: handle, Sealed: true}, nil
}

// loadAuthRequest returns the request a handle names, as it stands: the
// stored request when the handle is a stored ID or its login has ended,
// otherwise the pending request the handle holds.
func (p *Provider) loadAuthRequest(ctx context.Context, handle string) (heldRequest, error) {
	if !sealed(handle) {
		r, err := p.store.GetAuthRequest(ctx, handle)
		if err != nil {
			return heldRequest{}, fmt.Errorf("get auth request: %w", err)
		}
		return heldRequest{AuthRequest: r, Handle: handle}, nil
	}
	h, err := p.openHandle(handle)
	if err != nil {
		return heldRequest{}, err
	}
	stored, err := p.store.GetAuthRequest(ctx, h.ID)
	switch {
	case err == nil:
		h.AuthRequest = stored
	case !errors.Is(err, storage.ErrNotFound):
		return heldRequest{}, fmt.Errorf("get auth request: %w", err)
	}
	return h, nil
}

// AuthRequestLogID returns the ID of the request a handle names, for log
// lines: a sealed handle is long and is not logged whole. It is empty
// for a handle that does not open.
func (p *Provider) AuthRequestLogID(handle string) string {
	if !sealed(handle) {
		return handle
	}
	h, err := p.openHandle(handle)
	if err != nil {
		return ""
	}
	return h.ID
}
