export { followTlsMaterial, tlsServerOptions } from './https.js';
export {
  type CertificateSummary,
  checkTlsPem,
  type LoadedTls,
  pemCertificates,
  readTlsFiles,
  type TlsFiles,
  type TlsPem,
} from './pem-files.js';
export {
  type InternalTlsMaterial,
  internalTlsFiles,
  loadServerTls,
  publicTlsFiles,
  type ServerTls,
} from './server-tls.js';
export {
  type CaCertificateUpdate,
  type CaCertificateUpdateListener,
  type CertificateProvider,
  type IdentityCertificateUpdate,
  type IdentityCertificateUpdateListener,
  TlsMaterial,
  TlsMaterialError,
  type TlsMaterialOptions,
} from './tls-material.js';
