import { AcmeAccount } from './acme-account.entity.js';
import { Certificate } from './certificate.entity.js';

export { AcmeAccount, Certificate };
export type { AcmeChallengeType, CertificateSource, CertificateStatus } from './certificate.entity.js';
export const CERTIFICATES_ENTITIES = [Certificate, AcmeAccount];
