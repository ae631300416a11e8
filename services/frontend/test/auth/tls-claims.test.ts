import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RoleBit } from '../../src/auth/claims.js';
import { bearerTokenOf, credentialsFromHttpHeaders, tlsPeerOf } from '../../src/auth/credentials.js';
import { commonNameOf, TlsClaimMapper } from '../../src/auth/tls-claims.js';

const mapper = new TlsClaimMapper({
  'worker-a': ['ns-a:worker'],
  'CN=ops,O=Example': ['temporal-system:admin'],
  'spiffe://example/billing': ['billing:writer'],
  'reader.example': ['ns-a:read', 'ns-b:read'],
});

test('reads the CN of every way a subject is written', () => {
  assert.equal(commonNameOf('CN=worker-a,O=Example'), 'worker-a');
  assert.equal(commonNameOf('O=Example, CN=worker-a'), 'worker-a');
  assert.equal(commonNameOf('/O=Example/CN=worker-a'), 'worker-a');
  assert.equal(commonNameOf('C=DE\nO=Example\nCN=worker-a'), 'worker-a');
  assert.equal(commonNameOf('O=Example'), undefined);
});

test('maps a certificate by CN, by whole subject and by SAN, adding up what several entries grant', () => {
  const byCn = mapper.claims({ subject: 'CN=worker-a,O=Example', sans: [] });
  assert.equal(byCn.subject, 'tls:CN=worker-a,O=Example');
  assert.deepEqual([...byCn.namespaces], [['ns-a', RoleBit.worker]]);

  assert.equal(mapper.claims({ subject: 'CN=ops,O=Example', sans: [] }).system, RoleBit.admin);

  const bySans = mapper.claims({
    subject: 'CN=svc',
    sans: ['URI:spiffe://example/billing', 'DNS:reader.example'],
  });
  assert.deepEqual(
    new Map(bySans.namespaces),
    new Map([
      ['billing', RoleBit.writer],
      ['ns-a', RoleBit.reader],
      ['ns-b', RoleBit.reader],
    ]),
  );
  assert.deepEqual(
    [...mapper.claims({ subject: 'CN=x', sans: ['spiffe://example/billing'] }).namespaces],
    [['billing', RoleBit.writer]],
  );
});

test('a certificate the map does not name is authenticated but holds no role', () => {
  const claims = mapper.claims({ subject: 'CN=stranger', sans: ['DNS:worker-a.evil'] });
  assert.equal(claims.subject, 'tls:CN=stranger');
  assert.equal(claims.system, 0);
  assert.equal(claims.namespaces.size, 0);
});

test("the bearer token comes from the authorization header, a gRPC call's or an HTTP request's alike", () => {
  assert.deepEqual(credentialsFromHttpHeaders({ authorization: 'Bearer abc.def.ghi' }), {
    bearerToken: 'abc.def.ghi',
  });
  assert.deepEqual(credentialsFromHttpHeaders({ authorization: 'bearer abc.def.ghi' }), {
    bearerToken: 'abc.def.ghi',
  });
  assert.deepEqual(credentialsFromHttpHeaders({}), {});
  const peer = { subject: 'CN=a', sans: [] };
  assert.deepEqual(credentialsFromHttpHeaders({}, peer), { tlsPeer: peer });
  // Another scheme is kept whole, so it fails verification instead of passing for "no credentials".
  assert.equal(bearerTokenOf('Basic dXNlcjpwYXNz'), 'Basic dXNlcjpwYXNz');
  assert.equal(bearerTokenOf('  '), undefined);
});

test('a verified peer from the TLS layer maps by its CN and its SANs', () => {
  const peer = tlsPeerOf({
    subject: 'CN=svc, O=Example',
    dnsNames: ['reader.example'],
    uris: ['spiffe://example/billing'],
    ipAddresses: ['10.0.0.1'],
    emails: ['ops@example'],
  });
  assert.deepEqual(peer.sans, [
    'DNS:reader.example',
    'URI:spiffe://example/billing',
    'IP Address:10.0.0.1',
    'email:ops@example',
  ]);
  assert.deepEqual(
    new Map(mapper.claims(peer).namespaces),
    new Map([
      ['billing', RoleBit.writer],
      ['ns-a', RoleBit.reader],
      ['ns-b', RoleBit.reader],
    ]),
  );
  assert.deepEqual(
    [...mapper.claims(tlsPeerOf({ subject: 'O=Example, CN=worker-a' })).namespaces],
    [['ns-a', RoleBit.worker]],
  );
});
