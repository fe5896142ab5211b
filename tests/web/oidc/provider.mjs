// The district's identity provider for socmon's sign-in tests: the npm package
// oidc-provider (a certified OpenID Provider), on 127.0.0.1 only.
//
// node provider.mjs <port> <config.json>
//   config.json: {"clients": [{client_id, client_secret, redirect_uris}],
//                 "accounts": {"<login>": {"email", "email_verified", "groups"}}}
// Prints "listening <issuer>" once it accepts connections.
//
// POST /__clock?advance=<seconds> moves this provider's clock forward (codes expire
// without the test sleeping). Sign-in uses the package's development interaction
// (a login form; any password); consent is granted automatically, as a district's
// own app would be.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const [port, configPath] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configPath, 'utf8'));
const issuer = `http://127.0.0.1:${port}`;

let offsetMs = 0;
const realNow = Date.now.bind(Date);
Date.now = () => realNow() + offsetMs;

const provider = new Provider(issuer, {
  clients: config.clients.map((c) => ({
    ...c,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  })),
  pkce: { required: () => true },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
  conformIdTokenClaims: false, // put email and groups in the ID token, as Entra ID does
  findAccount: (ctx, id) => {
    const account = config.accounts[id];
    if (!account) return undefined;
    return { accountId: id, claims: () => ({ sub: id, ...account }) };
  },
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  ttl: { AuthorizationCode: 60, IdToken: 3600, AccessToken: 3600, Session: 3600, Grant: 3600, Interaction: 600 },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['socmon-test-provider-cookie-key'] },
  jwks: config.jwks,
});
provider.proxy = false;

provider.use(async (ctx, next) => {
  if (ctx.path === '/__clock' && ctx.method === 'POST') {
    offsetMs += Number(ctx.query.advance || 0) * 1000;
    ctx.body = { now: Math.floor(Date.now() / 1000) };
    return undefined;
  }
  return next();
});

const server = provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
