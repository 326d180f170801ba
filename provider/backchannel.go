package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/dingbridge/dingbridge/storage"
)

// backchannelLogoutEvent is the event a logout token carries (OpenID
// Connect Back-Channel Logout 1.0 §2.4).
const backchannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

// logoutTokenType is the JWT typ header of a logout token (§2.4).
const logoutTokenType = "logout+jwt"

// Back-channel delivery defaults; see the Backchannel fields of Config.
const (
	defaultBackchannelQueue    = 1024
	defaultBackchannelWorkers  = 4
	defaultBackchannelAttempts = 5
	defaultBackchannelTimeout  = 5 * time.Second
	defaultBackchannelBackoff  = time.Second
	maxBackchannelBackoff      = time.Minute
	defaultLogoutTokenTTL      = 2 * time.Minute
)

// logoutDelivery is one logout token to POST to one client.
type logoutDelivery struct {
	clientID  string
	uri       string
	sessionID string
	subject   string
	// jti stays the same across retries, so the relying party can tell a
	// retry from a new logout.
	jti string
}

// backchannel queues logout deliveries for Provider.Run's workers. The
// queue is bounded: when it is full a delivery is dropped and logged, so
// ending a session never waits for a relying party.
type backchannel struct {
	queue chan logoutDelivery
	// dropped counts deliveries refused because the queue was full.
	dropped atomic.Int64
}

// backchannelDefaults fills the back-channel fields of cfg and reports
// negative values.
func (cfg *Config) backchannelDefaults() []error {
	var errs []error
	for _, f := range []struct {
		v    *int
		def  int
		name string
	}{
		{&cfg.BackchannelQueueSize, defaultBackchannelQueue, "back-channel queue size"},
		{&cfg.BackchannelWorkers, defaultBackchannelWorkers, "back-channel workers"},
		{&cfg.BackchannelAttempts, defaultBackchannelAttempts, "back-channel attempts"},
	} {
		switch {
		case *f.v == 0:
			*f.v = f.def
		case *f.v < 0:
			errs = append(errs, fmt.Errorf("%s must not be negative", f.name))
		}
	}
	for _, f := range []struct {
		v    *time.Duration
		def  time.Duration
		name string
	}{
		{&cfg.BackchannelTimeout, defaultBackchannelTimeout, "back-channel timeout"},
		{&cfg.BackchannelBackoff, defaultBackchannelBackoff, "back-channel backoff"},
		{&cfg.LogoutTokenTTL, defaultLogoutTokenTTL, "logout token ttl"},
	} {
		switch {
		case *f.v == 0:
			*f.v = f.def
		case *f.v < 0:
			errs = append(errs, fmt.Errorf("%s must not be negative", f.name))
		}
	}
	if cfg.BackchannelHTTPClient == nil {
		cfg.BackchannelHTTPClient = &http.Client{
			// A logout token is for the registered URI only.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return errs
}

// endSessions ends browser sessions: for each, it notes the clients
// issued tokens in it, revokes the session's tokens, deletes the session
// and — when this call deleted it — queues a logout token for each of
// those clients that registered a back-channel logout URI.
func (p *Provider) endSessions(ctx context.Context, ids []string) error {
	for _, id := range ids {
		links, err := p.store.ListSessionClients(ctx, id)
		if err != nil {
			return fmt.Errorf("end session: %w", err)
		}
		if err := p.store.RevokeSessionTokens(ctx, id); err != nil {
			return fmt.Errorf("end session: %w", err)
		}
		err = p.store.DeleteSession(ctx, id)
		if errors.Is(err, storage.ErrNotFound) {
			continue // already ended, and announced, elsewhere
		}
		if err != nil {
			return fmt.Errorf("end session: %w", err)
		}
		p.announceLogout(ctx, links)
	}
	return nil
}

// announceLogout queues a logout token for every linked client with a
// back-channel logout URI.
func (p *Provider) announceLogout(ctx context.Context, links []storage.SessionClient) {
	log := p.logger(ctx)
	for _, l := range links {
		c, err := p.store.GetClient(ctx, l.ClientID)
		if err != nil {
			if !errors.Is(err, storage.ErrNotFound) {
				log.ErrorContext(ctx, "back-channel logout: load client", "client_id", l.ClientID, "err", err)
			}
			continue
		}
		if c.BackchannelLogoutURI == "" {
			continue
		}
		d := logoutDelivery{clientID: c.ID, uri: c.BackchannelLogoutURI, sessionID: l.SessionID, subject: l.Subject, jti: randomString(16)}
		select {
		case p.backchannel.queue <- d:
		default:
			p.backchannel.dropped.Add(1)
			log.ErrorContext(ctx, "back-channel logout: queue full, logout token dropped", "client_id", c.ID)
		}
	}
}

// runBackchannel delivers queued logout tokens with the configured number
// of workers until ctx is done.
func (p *Provider) runBackchannel(ctx context.Context) {
	var wg sync.WaitGroup
	for range p.cfg.BackchannelWorkers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case d := <-p.backchannel.queue:
					p.deliverLogout(ctx, d)
				}
			}
		})
	}
	wg.Wait()
}

// deliverLogout POSTs a logout token to the client, retrying transport
// failures, 5xx and 429 answers with exponential backoff up to
// BackchannelAttempts attempts. Other answers end the delivery: 2xx is
// success, any other 4xx means the relying party refused the token.
func (p *Provider) deliverLogout(ctx context.Context, d logoutDelivery) {
	log := p.log.With("client_id", d.clientID)
	backoff := p.cfg.BackchannelBackoff
	for attempt := 1; ; attempt++ {
		retry, err := p.postLogoutToken(ctx, d)
		if err == nil {
			log.InfoContext(ctx, "back-channel logout delivered", "attempt", attempt)
			return
		}
		if !retry || attempt >= p.cfg.BackchannelAttempts {
			log.ErrorContext(ctx, "back-channel logout failed", "attempt", attempt, "err", err)
			return
		}
		log.WarnContext(ctx, "back-channel logout attempt failed", "attempt", attempt, "err", err)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, maxBackchannelBackoff)
	}
}

// postLogoutToken makes one delivery attempt; retry tells whether a
// failure is worth another attempt.
func (p *Provider) postLogoutToken(ctx context.Context, d logoutDelivery) (retry bool, err error) {
	token, err := p.logoutToken(ctx, d)
	if err != nil {
		return true, err
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.BackchannelTimeout)
	defer cancel()
	body := url.Values{"logout_token": {token}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.uri, strings.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := p.cfg.BackchannelHTTPClient.Do(req)
	if err != nil {
		return true, fmt.Errorf("post logout token: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return true, fmt.Errorf("post logout token: status %d", resp.StatusCode)
	default:
		return false, fmt.Errorf("post logout token: refused with status %d", resp.StatusCode)
	}
}

// logoutToken signs the logout token of a delivery with the active key:
// typ logout+jwt; iss, aud, iat, exp, jti, sub, sid and the back-channel
// logout event; never a nonce.
func (p *Provider) logoutToken(ctx context.Context, d logoutDelivery) (string, error) {
	key, err := p.keys.SigningKey(ctx)
	if err != nil {
		return "", fmt.Errorf("logout token: %w", err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{
		Algorithm: key.SignatureAlgorithm(),
		Key:       jose.JSONWebKey{Key: key.Key(), KeyID: key.ID()},
	}, (&jose.SignerOptions{}).WithType(logoutTokenType))
	if err != nil {
		return "", fmt.Errorf("logout token: signer: %w", err)
	}
	now := p.now()
	claims := oidc.LogoutTokenClaims{
		Issuer:     p.issuer,
		Subject:    d.subject,
		Audience:   oidc.Audience{d.clientID},
		IssuedAt:   oidc.FromTime(now),
		Expiration: oidc.FromTime(now.Add(p.cfg.LogoutTokenTTL)),
		JWTID:      d.jti,
		Events:     map[string]any{backchannelLogoutEvent: struct{}{}},
		SessionID:  d.sessionID,
	}
	payload, err := json.Marshal(&claims)
	if err != nil {
		return "", fmt.Errorf("logout token: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("logout token: sign: %w", err)
	}
	return jws.CompactSerialize()
}
