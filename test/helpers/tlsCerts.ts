import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A throwaway private CA and a server certificate it signed, for 127.0.0.1 and localhost. */
export interface TestCertificates {
  readonly dir: string;
  /** The CA certificate: what `FTP_CA_FILE` points at. */
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** Certificate then key in one file, the form pure-ftpd reads. */
  readonly combinedFile: string;
}

/**
 * Makes a CA and a server certificate with `openssl`, valid for a day. Certificate checks stay
 * on in the tests: the client trusts this CA and nothing else, as production trusts a vendor's.
 */
export async function makeTestCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'ftp-ingest-tls-'));
  await chmod(dir, 0o755);
  const path = (name: string) => join(dir, name);
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=ftp-ingest test CA',
    '-keyout',
    path('ca.key'),
    '-out',
    path('ca.pem'),
  ]);
  await run('openssl', [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    path('server.key'),
    '-out',
    path('server.csr'),
  ]);
  // Node checks the IP against subjectAltName, never against the CN.
  await writeFile(path('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    path('server.csr'),
    '-CA',
    path('ca.pem'),
    '-CAkey',
    path('ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    path('san.ext'),
    '-out',
    path('server.pem'),
  ]);
  const combined =
    (await readFile(path('server.pem'), 'utf8')) + (await readFile(path('server.key'), 'utf8'));
  await writeFile(path('combined.pem'), combined, { mode: 0o600 });
  await chmod(path('server.key'), 0o600);
  return {
    dir,
    caFile: path('ca.pem'),
    certFile: path('server.pem'),
    keyFile: path('server.key'),
    combinedFile: path('combined.pem'),
  };
}
