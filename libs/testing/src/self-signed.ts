import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A self-signed P-256 certificate for `names` (the first is the CN; all are subjectAltNames),
 * made by the openssl CLI, for tests that upload or serve a certificate.
 */
export function selfSignedCertificate(names: string[], days = 30): { certPem: string; keyPem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fdt-self-signed-'));
  try {
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
        ...['-days', String(days), '-subj', `/CN=${names[0]}`],
        ...['-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`],
        ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      ],
      { stdio: 'ignore' },
    );
    return {
      certPem: readFileSync(join(dir, 'cert.pem'), 'utf8'),
      keyPem: readFileSync(join(dir, 'key.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
