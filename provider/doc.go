// Package provider is dingbridge's OpenID Connect provider: zitadel/oidc's
// op package over storage.Storage, plus the login, session and logout
// handling around it. The DingTalk login flows plug in as an
// Authenticator.
//
// # Routes
//
// Every route is mounted under the issuer's path (issuer
// https://h/dingbridge serves https://h/dingbridge/authorize, …). Provider.Handler
// wraps them all with the request ID middleware (X-Request-Id taken when
// sane, otherwise made; echoed; logged as request_id with method, path and
// status — never the query).
//
//	GET  /.well-known/openid-configuration  server.Discovery (op's document, trimmed; RFC 9207 flag; scopes and claims; back-channel logout with sid)
//	GET  /keys                              op → opStorage.KeySet → KeyManager (JWKS: next, active, retiring keys)
//	GET  /authorize, POST /authorize        Provider.authorize (ours, not op's)
//	GET  /authorize/callback?id=…           Provider.authorizeCallback (registered through op.RegisterLegacyServer; logins
//	                                        answer the client themselves, so it only sends a pending request to /login)
//	GET  /login?authRequestID=…             Provider.login → Provider.loginWith (the same step /authorize runs in place)
//	     /login/…, /dingtalk/…              the Authenticator, when it is an http.Handler (404 otherwise)
//	POST /oauth/token                       DingTalk code exchange → Provider.exchangeDingTalkCode (ours), else
//	                                        op → server.VerifyClient, then by grant_type:
//	                                          authorization_code  server.CodeExchange
//	                                          refresh_token       server.RefreshToken
//	                                          client_credentials  op LegacyServer → opStorage.ClientCredentialsTokenRequest
//	                                          token-exchange      server.TokenExchange (other token types: invalid_request)
//	GET/POST /userinfo                      server.UserInfo (token failures are 401 invalid_token) → opStorage.SetUserinfoFromToken
//	POST /oauth/introspect                  server.Introspect (RFC 7662)
//	POST /oauth/revoke                      op → server.VerifyClient → server.Revocation (RFC 7009)
//	GET/POST /end_session                   server.EndSession → Provider.endSession
//	GET  /logged-out                        Provider.loggedOut ("signed out" page)
//	     /healthz, /ready                   op's probes (cmd mounts its own, using Provider.Ready)
//
// Token, introspection and revocation take only POST (other methods: 405;
// CORS preflight passes); token answers are Cache-Control: no-store and
// Pragma: no-cache. A 401 invalid_client carries a Basic challenge,
// userinfo's 401 invalid_token and 403 insufficient_scope a Bearer one
// (WWW-Authenticate).
//
// The DingTalk routes are served by the Authenticator, package
// provider/login: its OAuth2, legacy sns and workspace callbacks under
// /login/dingtalk/…, the "back to the application" link /login/cancel
// (→ Provider.FailLogin), and the entry points /dingtalk/login-config,
// /dingtalk/admin/{client_id} and /dingtalk/start/{client_id} (→
// Provider.InitiateLogin) and /dingtalk/suite-ticket. The provider only
// routes the prefixes to it; Provider.SetAuthenticator sets it after New,
// since the Authenticator needs the Provider.
//
// # One login, end to end
//
//  1. The relying party sends the browser to /authorize. Provider.authorize
//     parses the request with op.ParseAuthorizeRequest and loads the client
//     (storage.GetClient; registrations are reused for 5 s, clientcache.go,
//     so a change made by another process applies within that time). Until client_id and redirect_uri are known good
//     (exact match; native clients may vary a loopback port), errors render
//     templates.Error with status 400 and go nowhere else. After that,
//     errors go back to the redirect_uri with error, state and iss:
//     response_type must be code; unknown scopes are dropped and openid is
//     required; PKCE must be S256, and public clients (or RequirePKCE) must
//     send it; a bad id_token_hint is login_required. The request, with
//     non-standard parameters kept in Params, is not stored: its handle
//     (authRequestID, which the login flows carry in their URLs and
//     state cookies) is the request sealed with the cookie keys
//     (authreqs.go), and the database learns of it when its login ends.
//     Only a request too long to seal is stored now
//     (storage.CreateAuthRequest) and goes by its ID. Step 2 runs in the
//     same response (Provider.loginWith): the login page is served at
//     the /authorize URL. /login?authRequestID=… runs the same step for a
//     handle (the login pages' "try again" links); once the request is
//     stored, done, the stored row answers for its handle.
//  2. Provider.loginWith: if the browser's session cookie
//     (sealed by CookieCodec, path = issuer path, HttpOnly, SameSite=Lax, Secure
//     unless Insecure) names a live session that satisfies the request —
//     no prompt=login, max_age met, id_token_hint subject equal, and the
//     client policy admitting the person as at a fresh login (corp;
//     members only, required departments and active account judged on
//     the binding of the session's corp) — the login completes at once with
//     that session (single sign-on, step 3). Otherwise, with prompt=none, an
//     Authenticator that is a SilentAuthenticator and says
//     CanLoginSilently (inside the DingTalk client: a JSAPI round trip
//     without a page) gets ServeLogin with "none" in Prompt; any other
//     prompt=none request goes back to the client with login_required
//     (ended like a failed login, step 3, unless it arrived in this very
//     response). Everything else is handed to
//     Authenticator.ServeLogin with a LoginRequest (login_hint,
//     ui_locales, params, policy, page language). Without an
//     Authenticator the "no login method configured" page is shown. A
//     request already completed shows the "expired" page.
//  3. The Authenticator authenticates the person and calls
//     Provider.FinishLogin. A 256-bit authorization code is made, and one
//     storage.CompleteLogin transaction resolves the DingTalk identity to
//     a user (creating it on first login), creates the browser session (a
//     fresh ID for a fresh login; SSO keeps its session), stores the
//     request done — inserting the sealed request; a row already there
//     means its login has ended, and the "expired" page is shown — with
//     only the code's SHA-256 (commit 1; on PostgreSQL a returning
//     person's login and SSO are one statement).
//     The session cookie is set and code, state and iss go to the
//     redirect_uri (query, fragment or form_post) in the same response:
//     the code reaches only the browser that completed the login. When
//     someone other than the id_token_hint's subject logged in, the
//     request is stored done without its unsent code and the client gets
//     login_required instead.
//     When the login fails or the person is refused or cancels, the
//     Authenticator calls Provider.FailLogin instead: the request is
//     stored done without a code (a stored-by-ID request is deleted), so
//     that it cannot be completed afterwards, and the client gets the OAuth error (access_denied,
//     login_required, temporarily_unavailable, server_error) with state
//     and iss, in the request's response mode.
//  4. The client posts the code to /oauth/token. server.VerifyClient
//     authenticates it (client_secret_basic or client_secret_post,
//     SHA-256 digests compared in constant time; failure is
//     invalid_client, 401; public clients send only client_id).
//     server.CodeExchange loads the request by code digest (a code this
//     process issued from memory, issuedcodes.go; otherwise from storage), checks
//     client, redirect_uri and PKCE, and issues the tokens
//     (Provider.tokenResponseFor: op.CreateAccessToken, then
//     Provider.idToken, which gives the claims op.CreateIDToken gives and
//     encodes them in one pass, claimsjson.go).
//     op.CreateAccessToken asks opStorage for tokens: storage.RedeemAuthCode spends the
//     code (the request stays, done, until it expires, so that its
//     handle cannot start it again) and stores the access token (and, with
//     offline_access and the refresh_token grant, a refresh token of a
//     new family) and, for a client with a back-channel logout URI, the
//     session–client link back-channel logout reads
//     (storage.ListSessionClients) in one transaction (commit 2; on
//     PostgreSQL, redemptions that arrive while another is being committed
//     are committed together, one statement and one flush for all,
//     storage/postgres/redeembatch.go); a second redemption
//     finds nothing and is invalid_grant. idToken signs the ID token with the
//     KeyManager's active key (nonce, at_hash, c_hash, auth_time, amr,
//     azp, and sid from opStorage.SetUserinfoFromRequest; signJWT in
//     jws.go writes the JWS, go-jose's header and signature without its
//     per-token signer). When this is the only
//     request the process is serving, the redemption's transaction runs
//     in its own goroutine while the tokens are signed (tokens.go, redemption), and
//     CodeExchange waits for it before answering: tokens leave only
//     after the commit, and a refused redemption drops them. The
//     response carries session_state = sid.
//  5. /userinfo decodes the access token (opaque: token ID and subject
//     sealed with AES-256-GCM under a per-token key, tokenseal.go;
//     JWT for clients with AccessTokenFormat "jwt"), loads the token
//     record with its user, the user's bindings and its session's corp in
//     one read (storage.GetAccessTokenUser; one statement on PostgreSQL;
//     a token that read does not find is read alone to tell an invalid
//     token from one without openid), takes the DingTalk binding of the
//     token session's corp (the most recently used binding when the
//     session is gone), and releases the claims of the token's scopes
//     plus the policy's AlwaysRelease scopes as the client policy maps
//     them (claims.go: profile, email, phone only when requested, groups
//     and roles, the dingtalk object), as application/json
//     (userInfoJSON, claimsjson.go). The ID token
//     carries them too only when the policy says ClaimsInIDToken.
//  6. refresh_token: server.RefreshToken loads the token by digest;
//     storage.RotateRefreshToken marks it rotated and stores its
//     successor atomically. A rotated token presented again makes storage
//     revoke the whole family; the answer is invalid_grant.
//  7. /end_session verifies id_token_hint's issuer and signature (expiry
//     ignored), ends the cookie's session and the hint's sid (session row
//     deleted, the access and refresh tokens issued in it revoked, so a
//     refreshed ID token, which keeps the login's sid, still names it),
//     clears the cookie, and redirects to
//     post_logout_redirect_uri with state only when it exactly matches the
//     client's registration — otherwise to /logged-out. Every client
//     that was issued tokens in an ended session and registered a
//     BackchannelLogoutURI is queued a logout token (below).
//
// # Back-channel logout
//
// OpenID Connect Back-Channel Logout 1.0, advertised in discovery
// (backchannel_logout_supported, backchannel_logout_session_supported).
// Who is told: every client with a BackchannelLogoutURI that was issued
// tokens in the session — the code grant and the token exchange write a
// session–client link in the same transaction as the tokens when the
// client has that URI at the time (a client without offline_access holds
// only access tokens, which are collected after their hour, long before
// a 12-hour session ends, so the tokens themselves cannot tell); a client
// that registers its URI later is told of the sessions it is issued
// tokens in from then on. Links go with the session. When is it
// told: when end_session deletes the session; the call that deletes it
// announces it, so a repeated logout sends nothing. A session that merely
// expires is not announced. What is sent: a JWT with typ logout+jwt,
// signed with the active key like ID tokens — iss, aud = client_id, iat,
// exp (Config.LogoutTokenTTL, default 2m), jti, sub, sid (the ID tokens'
// sid) and events {"http://schemas.openid.net/event/backchannel-logout":
// {}}, never a nonce — POSTed as the logout_token form field. How: off
// the request path; end_session only queues (a bounded queue,
// Config.BackchannelQueueSize; when full the delivery is dropped and
// logged). Provider.Run's workers (Config.BackchannelWorkers) deliver:
// each attempt bounded by Config.BackchannelTimeout, transport errors,
// 5xx and 429 retried with exponential backoff from
// Config.BackchannelBackoff (at most a minute apart) up to
// Config.BackchannelAttempts attempts with the same jti; 2xx is success,
// another 4xx a refusal that is not retried. Redirects are not followed.
// Failures are logged with the client_id, never the token. Deliveries
// still queued when Run's context ends are lost.
//
// # Logins that start at DingTalk
//
// Third-party-initiated login (OpenID Connect Core §4): the admin-console
// SSO and workspace entry routes authenticate the person and call
// Provider.InitiateLogin, which commits the login without an
// authorization request (storage.CompleteLogin with no AuthRequestID;
// handing off the browser's own session commits nothing and keeps its
// auth_time), sets the session cookie and redirects to the client's
// initiate_login_uri with iss (and login_hint, target_link_uri). The
// client starts a normal authorization request, which the session
// completes at once (step 2).
//
// Mini programs: the mini program's backend posts its dd.getAuthCode
// code to /oauth/token as an RFC 8693 token exchange —
// grant_type=urn:ietf:params:oauth:grant-type:token-exchange,
// subject_token=<code>,
// subject_token_type=TokenTypeDingTalkAuthCode, corp_id, scope — with
// client authentication (public clients: client_id only; the one-time
// code is the credential). The client must list the grant type
// (GrantTokenExchange). The CodeExchanger (Config.CodeExchanger or
// Provider.SetCodeExchanger; provider/login implements it) resolves the code and
// applies the client's policy; the login is committed like a browser
// login (user, binding, a session for sid), and the answer is that of
// the code grant plus issued_token_type: an access token, an ID token
// with openid, a refresh token with offline_access and the refresh_token
// grant, session_state. Unknown codes and refused people are
// invalid_grant, DingTalk outages temporarily_unavailable (503).
//
// # Keys
//
// KeyManager creates the first key on start (New): on an empty database
// cmd has already begun generating it while it migrated the schema
// (GenerateKeyAhead, Config.FirstKey), so an RSA prime search does not
// follow the migrations. It encrypts private keys
// with AES-256-GCM under Config.KeyEncryptionKey (key ID as additional
// data), and keeps decrypted keys in memory. A key signs from ActivatesAt
// for RotationPeriod; one token lifetime before that ends, Provider.Run
// publishes the next key, which activates one token lifetime later, and
// a key stays in the JWKS until a token lifetime after it stopped
// signing. Replicas reload keys every minute and on an unknown kid; the
// unique Generation makes concurrent creation safe. New loads the key that
// signs now, so an unreadable key fails the start. With Config.RSASigner
// (cmd passes package libcrypto's), RSA keys sign through OpenSSL instead
// of crypto/rsa, to the same bytes.
package provider
