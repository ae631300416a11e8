// Certificates for tests, made in the test: a CA, and server / client certificates it signs, ECDSA P-256 through
// Node's WebCrypto and @peculiar/x509 (which needs a Reflect metadata polyfill, hence the first import). Nothing
// here is for production use: keys are kept in memory and written out only where a test asks.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A certificate and its private key, both PEM. */
export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

export interface LeafOptions {
  /** Subject common name; default the first DNS name or "odin-test". */
  readonly commonName?: string;
  /** Extra subject attributes, e.g. "O=Acme, OU=Payments" (RFC 4514 order, after CN). */
  readonly subjectSuffix?: string;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly uris?: readonly string[];
  /** Which sides the certificate may authenticate; default both server and client. */
  readonly usage?: 'server' | 'client' | 'both';
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

const EKU = { server: ['1.3.6.1.5.5.7.3.1'], client: ['1.3.6.1.5.5.7.3.2'] };

/** A certificate authority that signs leaf certificates. */
export class TestCa {
  private constructor(
    readonly name: string,
    readonly cert: string,
    private readonly keys: CryptoKeyPair,
    private readonly certificate: x509.X509Certificate,
  ) {}

  /** A self-signed CA, valid from a day ago for a year. */
  static async create(name = 'Odin Test CA'): Promise<TestCa> {
    const keys = await generateKeys();
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: `CN=${name}`,
      notBefore: new Date(Date.now() - DAY_MS),
      notAfter: new Date(Date.now() + 365 * DAY_MS),
      signingAlgorithm: ALGORITHM,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 1, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return new TestCa(name, certificate.toString('pem'), keys, certificate);
  }

  /** A leaf certificate signed by this CA; its PEM chain is the leaf alone (the CA is what peers trust). */
  async issue(options: LeafOptions = {}): Promise<KeyPair> {
    const keys = await generateKeys();
    const names: x509.JsonGeneralName[] = [
      ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
      ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
      ...(options.uris ?? []).map((value) => ({ type: 'url' as const, value })),
    ];
    const usage = options.usage ?? 'both';
    const commonName = options.commonName ?? options.dnsNames?.[0] ?? 'odin-test';
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: `CN=${commonName}${options.subjectSuffix ? `, ${options.subjectSuffix}` : ''}`,
      issuer: this.certificate.subject,
      notBefore: options.notBefore ?? new Date(Date.now() - DAY_MS),
      notAfter: options.notAfter ?? new Date(Date.now() + 30 * DAY_MS),
      signingAlgorithm: ALGORITHM,
      publicKey: keys.publicKey,
      signingKey: this.keys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        new x509.ExtendedKeyUsageExtension(usage === 'both' ? [...EKU.server, ...EKU.client] : EKU[usage]),
        ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
        await x509.AuthorityKeyIdentifierExtension.create(this.keys.publicKey),
      ],
    });
    return { cert: certificate.toString('pem'), key: await keyPem(keys.privateKey) };
  }
}

function randomSerial(): string {
  // Positive (high bit clear) 16-byte serials, as RFC 5280 asks.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

/** Concatenates PEM certificates into one bundle. */
export function bundle(...pems: string[]): string {
  return pems.map((pem) => pem.trim()).join('\n') + '\n';
}

/**
 * Writes `content` to `path` the way a rotation should: a temporary file renamed over the old one, so a reader
 * never sees half a file (as Kubernetes' atomic Secret volumes and cert-manager's CSI driver do).
 */
export function writeAtomically(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = join(dirname(path), `.${Math.random().toString(36).slice(2)}.tmp`);
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}

/** Writes a key pair as `<dir>/<name>.crt` and `<dir>/<name>.key`; returns the paths. */
export function writeKeyPair(
  dir: string,
  name: string,
  pair: KeyPair,
): { certFile: string; keyFile: string } {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  writeAtomically(certFile, pair.cert);
  writeAtomically(keyFile, pair.key);
  return { certFile, keyFile };
}
