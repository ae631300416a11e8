import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { ServiceError } from '@odin/api';
import {
  exportJWK,
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  generateSecret,
  type JWK,
  SignJWT,
  UnsecuredJWT,
} from 'jose';
import { RoleBit } from '../../src/auth/claims.js';
import { JwtClaimMapper, keyFromText } from '../../src/auth/jwt-claims.js';
import { AUDIENCE, ISSUER, mintToken, NOW_S } from './fixtures.js';

const now = () => NOW_S * 1000;

async function refused(promise: Promise<unknown>, code: status, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ServiceError, String(error));
    assert.equal(error.code, code, `${status[error.code]}: ${error.message}`);
    assert.match(error.message, message);
    return true;
  });
}

describe('JWT claim mapper with a key file', async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  const other = await generateKeyPair('ES256', { extractable: true });
  const mapper = new JwtClaimMapper({
    keyText: await exportSPKI(pair.publicKey),
    issuer: ISSUER,
    audience: ['somebody-else', AUDIENCE],
    permissionsClaim: 'permissions',
    now,
  });

  test('reads the subject and the permissions claim (Temporal’s spellings and the role names)', async () => {
    const token = await mintToken(
      pair.privateKey,
      ['ns-a:read', 'ns-a:worker', 'ns-b:writer', 'temporal-system:admin'],
      {
        sub: 'alice',
      },
    );
    const claims = await mapper.claims(token);
    assert.equal(claims.subject, 'jwt:alice');
    assert.equal(claims.namespaces.get('ns-a'), RoleBit.reader | RoleBit.worker);
    assert.equal(claims.namespaces.get('ns-b'), RoleBit.writer);
    assert.equal(claims.system, RoleBit.admin);
  });

  test('skips permissions it cannot read, and reads a space-separated string', async () => {
    const skipped = await mapper.claims(
      await mintToken(pair.privateKey, ['ns-a', 'ns-a:owner', ':admin', 'ns-b:write'], { sub: 'bob' }),
    );
    assert.deepEqual([...skipped.namespaces], [['ns-b', RoleBit.writer]]);
    const spaced = await mapper.claims(
      await mintToken(pair.privateKey, [], { sub: 'bob', payload: { permissions: 'ns-a:admin ns-c:read' } }),
    );
    assert.deepEqual(
      [...spaced.namespaces],
      [
        ['ns-a', RoleBit.admin],
        ['ns-c', RoleBit.reader],
      ],
    );
  });

  test('refuses what does not verify, saying what is wrong', async () => {
    const cases: [string, Promise<string>, RegExp][] = [
      ['expired', mintToken(pair.privateKey, ['ns-a:read'], { nowS: NOW_S - 7200 }), /has expired/],
      [
        'not yet valid',
        mintToken(pair.privateKey, ['ns-a:read'], { payload: { nbf: NOW_S + 600 } }),
        /"nbf" claim/,
      ],
      ['signed by another key', mintToken(other.privateKey, ['ns-a:read']), /not signed by a trusted key/],
      [
        'another issuer',
        mintToken(pair.privateKey, ['ns-a:read'], { payload: { iss: 'https://evil' } }),
        /"iss" claim/,
      ],
      [
        'another audience',
        mintToken(pair.privateKey, ['ns-a:read'], { payload: { aud: 'other' } }),
        /"aud" claim/,
      ],
      ['no subject', mintToken(pair.privateKey, ['ns-a:read'], { sub: '' }), /no subject/],
      [
        'unsigned',
        Promise.resolve(new UnsecuredJWT({ sub: 'x', permissions: ['ns-a:admin'] }).encode()),
        /algorithm|malformed/,
      ],
      ['garbage', Promise.resolve('not-a-jwt'), /malformed/],
      [
        'HMAC-signed',
        generateSecret('HS256').then((secret) =>
          new SignJWT({ permissions: ['ns-a:admin'] })
            .setProtectedHeader({ alg: 'HS256' })
            .setSubject('x')
            .sign(secret),
        ),
        /algorithm/,
      ],
    ];
    for (const [label, token, message] of cases) {
      await refused(mapper.claims(await token), status.UNAUTHENTICATED, message).catch((error: Error) => {
        error.message = `${label}: ${error.message}`;
        throw error;
      });
    }
  });

  test('a refusal never carries the token or its claims', async () => {
    const token = await mintToken(other.privateKey, ['secret-tenant:admin'], { sub: 'mallory' });
    await assert.rejects(mapper.claims(token), (error: Error) => {
      assert.doesNotMatch(error.message, /secret-tenant|mallory/);
      assert.ok(!error.message.includes(token));
      return true;
    });
  });

  test('reads the permissions from a configured claim', async () => {
    const custom = new JwtClaimMapper({
      keyText: await exportSPKI(pair.publicKey),
      permissionsClaim: 'roles',
      now,
    });
    const claims = await custom.claims(
      await mintToken(pair.privateKey, ['ns-a:read'], { payload: { roles: ['ns-b:admin'] } }),
    );
    assert.deepEqual([...claims.namespaces], [['ns-b', RoleBit.admin]]);
  });
});

describe('key files', () => {
  test('read a JWK, a JWKS and an RSA PEM key', async () => {
    const ec = await generateKeyPair('ES256', { extractable: true });
    const rsa = await generateKeyPair('RS256', { extractable: true });
    const ecJwk = { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256' };
    const rsaJwk = { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256' };
    const sources: [string, string, (typeof ec)['privateKey'], string, string | undefined][] = [
      ['JWK', JSON.stringify(ecJwk), ec.privateKey, 'ES256', 'ec-1'],
      ['JWKS', JSON.stringify({ keys: [ecJwk, rsaJwk] }), rsa.privateKey, 'RS256', 'rsa-1'],
      ['RSA PEM', await exportSPKI(rsa.publicKey), rsa.privateKey, 'RS256', undefined],
    ];
    for (const [label, keyText, privateKey, alg, kid] of sources) {
      const mapper = new JwtClaimMapper({ keyText, permissionsClaim: 'permissions', now });
      const token = await new SignJWT({ permissions: ['ns-a:read'] })
        .setProtectedHeader({ alg, ...(kid ? { kid } : {}) })
        .setSubject(label)
        .sign(privateKey);
      assert.equal((await mapper.claims(token)).subject, `jwt:${label}`, label);
    }
  });

  test('refuse private keys, symmetric keys and anything else', async () => {
    const ec = await generateKeyPair('ES256', { extractable: true });
    const privateJwk: JWK = await exportJWK(ec.privateKey);
    assert.throws(() => keyFromText(JSON.stringify(privateJwk)), /private JWK/);
    const pkcs8 = await exportPKCS8(ec.privateKey);
    assert.throws(() => keyFromText(pkcs8), /private key/);
    assert.throws(() => keyFromText(JSON.stringify({ kty: 'oct', k: 'c2VjcmV0' })), /symmetric/);
    assert.throws(() => keyFromText('hello'), /neither PEM nor JSON/);
    assert.throws(() => keyFromText(JSON.stringify({ keys: [42] })), /not a JWK/);
  });
});

describe('JWT claim mapper with a JWKS URL', async () => {
  let jwks: { keys: JWK[] } = { keys: [] };
  let fetches = 0;
  const server: Server = createServer((req, res) => {
    fetches++;
    if (req.url !== '/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  after(() => server.close());

  const first = await generateKeyPair('ES256', { extractable: true });
  const second = await generateKeyPair('ES256', { extractable: true });
  const sign = (key: (typeof first)['privateKey'], kid: string) =>
    new SignJWT({ permissions: ['ns-a:read'] })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setSubject(kid)
      .sign(key);

  test('fetches the keys once, then picks up a rotated key without a restart', async () => {
    jwks = { keys: [{ ...(await exportJWK(first.publicKey)), kid: 'k1', alg: 'ES256' }] };
    const mapper = new JwtClaimMapper({
      jwksUrl: url,
      jwksCooldownMs: 0,
      permissionsClaim: 'permissions',
      now,
    });
    const token = await sign(first.privateKey, 'k1');
    assert.equal((await mapper.claims(token)).subject, 'jwt:k1');
    assert.equal((await mapper.claims(token)).subject, 'jwt:k1');
    assert.equal(fetches, 1, 'the key set is cached');

    jwks = { keys: [...jwks.keys, { ...(await exportJWK(second.publicKey)), kid: 'k2', alg: 'ES256' }] };
    assert.equal((await mapper.claims(await sign(second.privateKey, 'k2'))).subject, 'jwt:k2');
    assert.equal(fetches, 2, 'an unknown key id fetches the set again');
  });

  test('an issuer that cannot be reached is the server’s problem: UNAVAILABLE', async () => {
    const mapper = new JwtClaimMapper({
      jwksUrl: `${url.replace('/jwks.json', '/missing')}`,
      permissionsClaim: 'permissions',
      now,
    });
    await refused(
      mapper.claims(await sign(first.privateKey, 'k1')),
      status.UNAVAILABLE,
      /could not be fetched/,
    );
  });
});
