// The independent, OpenID-certified provider (npm oidc-provider) for interop tests.
//
// Usage: node server.mjs config.json
//
// The JSON file (written by ircc_account.testing._oidc_provider) holds:
//   host, port (0 for any), cert, key (PEM file paths), jwks (the provider's
//   private signing keys), cookieKeys, acrValues, accounts, clients,
//   testToken (guards POST /__test/rotate-keys), dpopNonceSecret and
//   dpopRequireNonce (DPoP nonces, RFC 9449 section 8), and
//   backchannelExtraFields (form fields sent beside logout_token).
// The issuer is https://<host>:<bound port>: the server listens first and
// builds the provider afterwards, so the issuer always matches the URL.
// Prints "READY <port>" on stdout once it accepts connections.
//
// Logging in is non-interactive: the interaction handler signs in the account
// named by login_hint and grants what was asked, so tests can drive the flow
// with plain HTTP requests that follow redirects.

import { generateKeyPairSync, randomUUID, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, request as httpsRequest } from 'node:https';
import process from 'node:process';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = new Map(config.accounts.map((account) => [account.username, account]));
const bySubject = new Map(config.accounts.map((account) => [account.sub, account]));

function claimsFor(account) {
  return {
    sub: account.sub,
    email: account.email,
    email_verified: true,
    given_name: account.given_name,
    family_name: account.family_name,
    name: `${account.given_name} ${account.family_name}`,
    preferred_username: account.username,
  };
}

function pickAcr(account, params) {
  // OpenID Connect Core 3.1.2.1: acr_values are "in order of preference".
  for (const value of String(params.acr_values || '').split(' ')) {
    if (config.acrValues.includes(value)) return value;
  }
  return account.acr;
}

// There is no login page: the GET of the interaction URL finishes the step
// (login from login_hint, then consent for whatever was asked) and redirects
// back to the provider, so plain HTTP clients that follow redirects log in.
async function interaction(ctx, provider) {
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const { prompt, params, session } = details;
  let result;
  if (prompt.name === 'login') {
    const account = accounts.get(params.login_hint);
    result = account
      ? {
        login: { accountId: account.sub, acr: pickAcr(account, params), amr: ['pwd'] },
      }
      : { error: 'access_denied', error_description: 'unknown login_hint' };
  } else if (prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = prompt.details;
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missingResourceScopes || {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    result = { consent: { grantId: await grant.save() } };
  } else {
    result = { error: 'access_denied', error_description: `unsupported prompt ${prompt.name}` };
  }
  const location = await provider.interactionResult(ctx.req, ctx.res, result, {
    mergeWithLastSubmission: true,
  });
  ctx.status = 303;
  ctx.redirect(location);
}

// RP-initiated logout: the confirmation form is still shown (so the test
// drives it), with a stable id and the "yes" choice as a hidden field.
async function logoutSource(ctx, form) {
  ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Logout</title></head>
<body>${form.replace('</form>', '<input type="hidden" name="logout" value="yes"></form>')}
<button type="submit" form="op.logoutForm">Sign out</button></body></html>`;
}

// Back-Channel Logout 1.0 section 2.5: "The POST body MAY contain other
// values in addition to logout_token." oidc-provider sends none, so when the
// configuration asks for extra fields, this replaces its sender with one
// that signs the same logout token (the provider's own IdToken model, as
// lib/models/client.js does) and posts it between extra fields.
function postForm(url, body) {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': Buffer.byteLength(body),
      },
      timeout: 2500,
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}

function sendExtraFields(provider) {
  const { Client, IdToken } = provider;
  Client.prototype.backchannelLogout = async function backchannelLogout(sub, sid) {
    const logoutToken = new IdToken({ sub }, { client: this, ctx: undefined });
    logoutToken.mask = { sub: null };
    logoutToken.set('events', { 'http://schemas.openid.net/event/backchannel-logout': {} });
    logoutToken.set('jti', randomUUID());
    if (this.backchannelLogoutSessionRequired) logoutToken.set('sid', sid);
    const [before, ...after] = Object.entries(config.backchannelExtraFields);
    const form = new URLSearchParams([
      ...(before ? [before] : []),
      ['logout_token', await logoutToken.issue({ use: 'logout' })],
      ...after,
    ]);
    const status = await postForm(this.backchannelLogoutUri, form.toString());
    if (status !== 200 && status !== 204) throw new Error(`back-channel logout got ${status}`);
  };
}

// A signing key rotation: new RS256 and ES256 keys sign from now on, the old
// ones stay published (a rollover, OpenID Connect Core 10.1.1).
function rotatedJwks(jwks) {
  const fresh = [
    ['rsa', { modulusLength: 2048 }, 'RS256'],
    ['ec', { namedCurve: 'P-256' }, 'ES256'],
  ].map(([type, options, alg]) => {
    const { privateKey } = generateKeyPairSync(type, options);
    return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg, use: 'sig' };
  });
  return { keys: [...fresh, ...jwks.keys] };
}

function makeProvider(issuer, jwks) {
  const provider = new Provider(issuer, {
    clients: config.clients,
    jwks,
    cookies: { keys: config.cookieKeys },
    acrValues: config.acrValues,
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['given_name', 'family_name', 'name', 'preferred_username'],
    },
    scopes: ['openid', 'offline_access', 'email', 'profile'],
    async findAccount(_ctx, sub) {
      const account = bySubject.get(sub);
      if (!account) return undefined;
      return { accountId: sub, async claims() { return claimsFor(account); } };
    },
    interactions: { url: (_ctx, i) => `/interaction/${i.uid}` },
    features: {
      devInteractions: { enabled: false },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: { enabled: true, logoutSource },
      pushedAuthorizationRequests: { enabled: true },
      claimsParameter: { enabled: true },
      userinfo: { enabled: true },
      revocation: { enabled: true },
      dPoP: {
        enabled: true,
        nonceSecret: config.dpopNonceSecret ? Buffer.from(config.dpopNonceSecret, 'base64') : undefined,
        requireNonce: () => Boolean(config.dpopRequireNonce),
      },
    },
    // PKCE for every client, S256 only (RFC 9700 2.1.1).
    pkce: { methods: ['S256'], required: () => true },
    // A refresh token for every code grant, not only with offline_access, so
    // the RP's refresh path is exercised without extra consent rules.
    async issueRefreshToken(_ctx, client) {
      return client.grantTypeAllowed('refresh_token');
    },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    ttl: {
      AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600,
      Session: 3600, Grant: 3600, RefreshToken: 3600, PushedAuthorizationRequest: 60,
    },
    renderError(ctx, out) {
      ctx.type = 'json';
      ctx.body = out;
    },
  });
  if (config.backchannelExtraFields) sendExtraFields(provider);
  provider.use(async (ctx, next) => {
    if (ctx.method === 'GET' && /^\/interaction\/[^/]+$/.test(ctx.path)) {
      await interaction(ctx, provider);
      return;
    }
    await next();
  });
  provider.on('server_error', (_ctx, err) => console.error('server_error', err));
  provider.on('backchannel.error', (_client, err) => console.error('backchannel.error', err.message));
  return provider;
}

function authorized(req) {
  const given = Buffer.from(String(req.headers.authorization || ''));
  const expected = Buffer.from(`Bearer ${config.testToken}`);
  return Boolean(config.testToken) && given.length === expected.length
    && timingSafeEqual(given, expected);
}

const server = createServer({
  cert: readFileSync(config.cert),
  key: readFileSync(config.key),
});

server.listen(config.port || 0, config.host || '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `https://${config.host || '127.0.0.1'}:${port}`;
  let jwks = config.jwks;
  let handler = makeProvider(issuer, jwks).callback();
  // Test hook: POST /__test/rotate-keys (with the test token) swaps in a
  // provider with rotated keys at the same issuer. Codes, sessions and
  // grants live in oidc-provider's module-level memory adapter, so they
  // carry over.
  server.on('request', (req, res) => {
    if (req.method === 'POST' && req.url === '/__test/rotate-keys') {
      if (!authorized(req)) {
        res.writeHead(403).end();
        return;
      }
      jwks = rotatedJwks(jwks);
      handler = makeProvider(issuer, jwks).callback();
      res.writeHead(204).end();
      return;
    }
    handler(req, res);
  });
  process.stdout.write(`READY ${port}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
