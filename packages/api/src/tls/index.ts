export {
  type CertificateProvider,
  type InternalTls,
  internalChannel,
  peerNameInterceptor,
  peerNameMismatch,
  tlsServerCredentials,
} from './credentials.js';
export {
  type PeerIdentity,
  parseSubjectAltName,
  peerIdentityFromCertificate,
  peerIdentityOf,
} from './peer-identity.js';
