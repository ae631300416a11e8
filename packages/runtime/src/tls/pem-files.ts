// Reading and checking one set of TLS files: a certificate chain, its private key and, optionally, a CA bundle.
// Everything a TLS handshake would trip over later is found here, when the files are read, so a bad rotation is
// refused while the previous material keeps serving.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { fail, ok, type Result } from '@odin/hugo';

/** Where one listener's TLS material lives on disk. */
export interface TlsFiles {
  /** PEM certificate chain, leaf first. */
  readonly certFile: string;
  /** PEM private key of the leaf certificate. */
  readonly keyFile: string;
  /** PEM CA bundle the peers' certificates are verified against (client certificates on a server). */
  readonly caFile?: string;
}

/** The bytes of one set of TLS files, checked to belong together. */
export interface TlsPem {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer;
}

/** What a log line or an operator needs to know about a certificate. */
export interface CertificateSummary {
  readonly subject: string;
  readonly issuer: string;
  /** The subjectAltName extension as Node prints it, e.g. "DNS:odin-frontend, IP Address:10.0.0.1". */
  readonly subjectAltName: string;
  readonly serialNumber: string;
  readonly fingerprint256: string;
  /** Epoch ms. */
  readonly notBefore: number;
  readonly notAfter: number;
}

/** A checked set of TLS files: the bytes, and a summary of the leaf certificate and of each CA. */
export interface LoadedTls {
  readonly pem: TlsPem;
  readonly leaf: CertificateSummary;
  readonly cas: readonly CertificateSummary[];
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM bundle, in order. */
export function pemCertificates(pem: string): string[] {
  return pem.match(PEM_CERTIFICATE) ?? [];
}

export function summarize(certificate: X509Certificate): CertificateSummary {
  return {
    // Node separates the attributes with new lines; one line reads better in logs.
    subject: certificate.subject.split('\n').join(', '),
    issuer: certificate.issuer.split('\n').join(', '),
    subjectAltName: certificate.subjectAltName ?? '',
    serialNumber: certificate.serialNumber,
    fingerprint256: certificate.fingerprint256,
    notBefore: Date.parse(certificate.validFrom),
    notAfter: Date.parse(certificate.validTo),
  };
}

function parseCertificates(pem: string, what: string): Result<X509Certificate[]> {
  const blocks = pemCertificates(pem);
  if (blocks.length === 0) return fail(`${what} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  const certificates: X509Certificate[] = [];
  for (const [index, block] of blocks.entries()) {
    try {
      certificates.push(new X509Certificate(block));
    } catch (error) {
      return fail(`${what}: certificate ${index + 1} cannot be parsed (${(error as Error).message})`);
    }
  }
  return ok(certificates);
}

/** Checks that the bytes of `files` make a usable TLS identity (and CA bundle); the failure says what is wrong. */
export function checkTlsPem(pem: TlsPem, files: TlsFiles): Result<LoadedTls> {
  const chain = parseCertificates(pem.cert.toString('utf8'), files.certFile);
  if (!chain.ok) return chain;
  const leaf = chain.value[0]!;
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(pem.key);
  } catch (error) {
    return fail(`${files.keyFile} holds no usable PEM private key (${(error as Error).message})`);
  }
  if (!leaf.checkPrivateKey(key)) {
    return fail(`${files.keyFile} is not the private key of the certificate in ${files.certFile}`);
  }
  let cas: X509Certificate[] = [];
  if (pem.ca !== undefined && files.caFile !== undefined) {
    const parsed = parseCertificates(pem.ca.toString('utf8'), files.caFile);
    if (!parsed.ok) return parsed;
    cas = parsed.value;
  }
  try {
    // What the TLS stack itself will do with the material; catches anything the checks above do not.
    createSecureContext({ cert: pem.cert, key: pem.key, ...(pem.ca ? { ca: pem.ca } : {}) });
  } catch (error) {
    return fail(`${files.certFile} / ${files.keyFile}: ${(error as Error).message}`);
  }
  return ok({ pem, leaf: summarize(leaf), cas: cas.map(summarize) });
}

async function readNamed(path: string): Promise<Result<Buffer>> {
  try {
    return ok(await readFile(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return fail(`cannot read ${path} (${code ?? (error as Error).message})`);
  }
}

/** Reads and checks `files`. */
export async function readTlsFiles(files: TlsFiles): Promise<Result<LoadedTls>> {
  const [cert, key, ca] = await Promise.all([
    readNamed(files.certFile),
    readNamed(files.keyFile),
    files.caFile === undefined ? Promise.resolve(undefined) : readNamed(files.caFile),
  ]);
  if (!cert.ok) return cert;
  if (!key.ok) return key;
  if (ca !== undefined && !ca.ok) return ca;
  return checkTlsPem({ cert: cert.value, key: key.value, ...(ca ? { ca: ca.value } : {}) }, files);
}
