package main

import (
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
	"log/slog"

	"github.com/dingbridge/dingbridge/dingtalk"
	"github.com/dingbridge/dingbridge/provider"
	"github.com/dingbridge/dingbridge/provider/login"
	"github.com/dingbridge/dingbridge/provider/resolve"
	"github.com/dingbridge/dingbridge/storage"
)

// tokenStoreInfo is the HKDF info that derives the key of the DingTalk
// token store from keys.encryptionKey.
const tokenStoreInfo = "dingbridge dingtalk token store"

// setupLogin builds the DingTalk login step from the dingtalk section and
// registers it with the provider. Without any DingTalk app there is no
// login step: /login then says that no login method is configured.
func setupLogin(s *settings, st storage.Storage, p *provider.Provider, logger *slog.Logger) error {
	d := s.dingtalk
	if d.registry == nil {
		logger.Warn("no DingTalk app configured (dingtalk.corps, dingtalk.suites, dingtalk.loginApps): nobody can log in")
		return nil
	}
	tokenKey, err := hkdf.Key(sha256.New, s.encryptionKey, nil, tokenStoreInfo, 32)
	if err != nil {
		return fmt.Errorf("derive the DingTalk token store key: %w", err)
	}
	dt := dingtalk.NewClient(dingtalk.Config{
		Endpoints:  d.endpoints,
		Timeout:    d.timeout,
		Logger:     logger,
		TokenStore: resolve.NewTokenStore(st, tokenKey),
	})
	res, err := resolve.New(*d.registry, dt, st, resolve.Options{Logger: logger})
	if err != nil {
		return fmt.Errorf("dingtalk: %w", err)
	}
	l, err := login.New(login.Config{
		Provider:             p,
		Resolver:             res,
		DingTalk:             dt,
		CookieHashKey:        s.cookieHashKey,
		CookieBlockKey:       s.cookieBlockKey,
		Insecure:             s.cfg.Dev,
		JSAPIScriptURL:       d.jsapiScriptURL,
		FrameLoginScriptURL:  d.frameLoginScriptURL,
		SuiteTicketPushToken: d.pushToken,
		Dev:                  s.cfg.Dev,
		Logger:               logger,
	})
	if err != nil {
		return fmt.Errorf("start the DingTalk login: %w", err)
	}
	p.SetAuthenticator(l)
	p.SetCodeExchanger(l)
	logger.Info("DingTalk login ready", "corps", len(res.Corps()))
	return nil
}
