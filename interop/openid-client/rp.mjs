// The interop suite's Node relying party: panva's openid-client v6
// (OpenID-certified) against dingbridge, driven by interop/run.
//
// For every browser step it prints "BROWSE <stop-prefix> <url>" and reads
// back, on stdin, the URL the runner's browser stopped at. Progress lines
// start with "STEP"; the last line is "OK <summary>" (exit 0) or
// "ERROR <reason>" (exit 1).
//
//   node rp.mjs --issuer http://127.0.0.1:5555 --client-id openid-client \
//     --redirect-uri http://127.0.0.1:5556/callback \
//     --post-logout-uri http://127.0.0.1:5556/logged-out \
//     [--want-email E] [--want-name N] [--want-groups a,b]
//   (the client secret comes from the environment: RP_CLIENT_SECRET)
import * as client from 'openid-client';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    issuer: { type: 'string' },
    'client-id': { type: 'string' },
    'redirect-uri': { type: 'string' },
    'post-logout-uri': { type: 'string' },
    scope: { type: 'string', default: 'openid profile email groups offline_access' },
    'want-email': { type: 'string' },
    'want-name': { type: 'string' },
    'want-groups': { type: 'string' },
  },
});

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

const step = (msg) => console.log(`STEP ${msg}`);

// browse asks the runner's browser to open url; it answers with the URL it
// stopped at, the first one starting with stop.
async function browse(stop, url) {
  console.log(`BROWSE ${stop} ${url}`);
  const { value, done } = await lines.next();
  if (done) throw new Error('browser: no answer from the runner');
  if (value.startsWith('ERROR ')) throw new Error(`browser: ${value.slice(6)}`);
  return new URL(value.trim());
}

function fail(msg) {
  throw new Error(msg);
}

// checkIdentity compares claims with the --want options.
function checkIdentity(where, claims) {
  if (opt['want-email']) {
    if (claims.email !== opt['want-email']) fail(`${where} email ${claims.email}, want ${opt['want-email']}`);
    if (claims.email_verified !== true) fail(`${where} email_verified ${JSON.stringify(claims.email_verified)}, want true`);
  }
  if (opt['want-name'] && claims.name !== opt['want-name']) fail(`${where} name ${claims.name}, want ${opt['want-name']}`);
  if (opt['want-groups']) {
    const groups = claims.groups;
    if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string')) {
      fail(`${where} groups ${JSON.stringify(groups)}, want an array of strings`);
    }
    const got = [...groups].sort().join(',');
    const want = opt['want-groups'].split(',').sort().join(',');
    if (got !== want) fail(`${where} groups ${got}, want ${want}`);
  }
}

// login runs buildAuthorizationUrl with PKCE S256, state and nonce, the
// browser step, and authorizationCodeGrant, which checks state, iss
// (RFC 9207), the PKCE verifier, the ID token's signature and nonce.
async function login(config, extra = {}) {
  const pkceCodeVerifier = client.randomPKCECodeVerifier();
  const codeChallenge = await client.calculatePKCECodeChallenge(pkceCodeVerifier);
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: opt['redirect-uri'],
    scope: opt.scope,
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  const callback = await browse(opt['redirect-uri'], url.href);
  return client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
}

async function main() {
  const secret = process.env.RP_CLIENT_SECRET ?? fail('RP_CLIENT_SECRET is not set');
  // http is allowed for the loopback issuer of the test run only.
  const config = await client.discovery(
    new URL(opt.issuer),
    opt['client-id'],
    { client_secret: secret },
    client.ClientSecretPost(secret),
    { execute: [client.allowInsecureRequests] },
  );
  const meta = config.serverMetadata();
  if (meta.issuer !== opt.issuer) fail(`discovery issuer ${meta.issuer}, want ${opt.issuer}`);
  step(`discovery: issuer ${meta.issuer}`);

  const tokens = await login(config);
  const sub = tokens.claims().sub;
  if (tokens.token_type?.toLowerCase() !== 'bearer') fail(`token_type ${tokens.token_type}, want Bearer`);
  if (!tokens.refresh_token) fail('no refresh token for offline_access');
  step(`login: code grant with PKCE, state, nonce, iss checked; ID token verified, sub ${sub}`);

  const userinfo = await client.fetchUserInfo(config, tokens.access_token, sub);
  checkIdentity('userinfo', userinfo);
  step(`userinfo: same sub, email ${userinfo.email}, groups ${JSON.stringify(userinfo.groups)}`);

  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  if (refreshed.claims()?.sub !== sub) fail(`refreshed ID token sub ${refreshed.claims()?.sub}, want ${sub}`);
  if (!refreshed.refresh_token || refreshed.refresh_token === tokens.refresh_token) fail('refresh token not rotated');
  step('refresh: new tokens, ID token for the same sub, refresh token rotated');

  const introspection = await client.tokenIntrospection(config, refreshed.access_token);
  if (introspection.active !== true || introspection.sub !== sub) {
    fail(`introspection ${JSON.stringify(introspection)}, want active for ${sub}`);
  }
  step('introspection: active, same sub');

  await client.tokenRevocation(config, refreshed.refresh_token, { token_type_hint: 'refresh_token' });
  try {
    await client.refreshTokenGrant(config, refreshed.refresh_token);
    fail('a revoked refresh token still refreshes');
  } catch (err) {
    if (!(err instanceof client.ResponseBodyError) || err.error !== 'invalid_grant') throw err;
  }
  step('revocation: the revoked refresh token is invalid_grant');

  const sso = await login(config, { prompt: 'none' });
  if (sso.claims().sub !== sub) fail(`prompt=none sub ${sso.claims().sub}, want ${sub}`);
  step('prompt=none: signed in silently with the session');

  const logoutState = client.randomState();
  const endSession = client.buildEndSessionUrl(config, {
    id_token_hint: sso.id_token,
    post_logout_redirect_uri: opt['post-logout-uri'],
    state: logoutState,
  });
  const back = await browse(opt['post-logout-uri'], endSession.href);
  if (back.searchParams.get('state') !== logoutState) fail(`end_session came back to ${back.origin}${back.pathname} without the state`);
  try {
    await login(config, { prompt: 'none' });
    fail('prompt=none after logout signed in');
  } catch (err) {
    if (!(err instanceof client.AuthorizationResponseError) || err.error !== 'login_required') throw err;
  }
  step('end_session: state echoed; prompt=none afterwards is login_required');
  return `login as ${userinfo.name} (${userinfo.email}), userinfo, refresh, introspection, revocation, prompt=none SSO, end_session`;
}

try {
  console.log(`OK ${await main()}`);
  process.exit(0);
} catch (err) {
  const detail = err.error ? ` (${err.error}${err.error_description ? `: ${err.error_description}` : ''})` : '';
  console.log(`ERROR ${String(err.message).replace(/\s+/g, ' ')}${detail}`);
  process.exit(1);
}
