import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FTPError } from 'basic-ftp';
import { IngestError } from '../../src/errors/IngestError.js';
import { isTooManyConnections, toIngestError, type FtpOperation } from '../../src/ftp/ftpErrors.js';

const reply = (message: string) => new FTPError({ code: Number(message.slice(0, 3)), message });
const socketError = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('toIngestError', () => {
  const cases: ReadonlyArray<
    [label: string, error: unknown, code: string, operation?: FtpOperation]
  > = [
    [
      '421 at the greeting for too many connections',
      reply('421 There are too many connections from your internet address.'),
      'FTP_BUSY',
    ],
    [
      '421 service closing',
      reply('421 Service not available, closing control connection.'),
      'FTP_CONNECT',
    ],
    [
      '530 after PASS for too many users',
      reply('530 Sorry, the maximum number of clients (5) from your host are already connected.'),
      'FTP_BUSY',
    ],
    ['530 too many users', reply('530 Too many users, sorry'), 'FTP_BUSY'],
    ['530 bad password', reply('530 Login incorrect.'), 'FTP_LOGIN'],
    ['425 data connection', reply("425 Can't open data connection."), 'FTP_TRANSFER'],
    ['426 transfer aborted', reply('426 Connection closed; transfer aborted.'), 'FTP_TRANSFER'],
    ['450 during a listing', reply('450 Directory busy'), 'FTP_LIST', 'list'],
    [
      '451 local error',
      reply('451 Requested action aborted: local error in processing.'),
      'FTP_TRANSFER',
    ],
    ['550 missing file', reply('550 Failed to open file.'), 'FTP_NOT_FOUND'],
    ['550 no such file', reply('550 /in/a.csv: No such file or directory'), 'FTP_NOT_FOUND'],
    ['550 permission denied', reply('550 Permission denied.'), 'FTP_PERMISSION'],
    ['553 file name not allowed', reply('553 File name not allowed.'), 'FTP_PERMISSION'],
    ['534 TLS refused', reply('534 Request denied for policy reasons.'), 'FTP_TLS'],
    ['502 not implemented', reply('502 Command not implemented.'), 'FTP_PROTOCOL'],
    ['ECONNRESET on a transfer', socketError('ECONNRESET', 'read ECONNRESET'), 'FTP_TRANSFER'],
    [
      'ECONNREFUSED on connect',
      socketError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:21'),
      'FTP_CONNECT',
      'connect',
    ],
    ['ETIMEDOUT', socketError('ETIMEDOUT', 'connect ETIMEDOUT'), 'FTP_TIMEOUT'],
    ['basic-ftp control timeout', new Error('Timeout (control socket)'), 'FTP_TIMEOUT'],
    [
      'basic-ftp closed after timeout',
      socketError('0', 'Client is closed because Timeout (data socket)'),
      'FTP_TIMEOUT',
    ],
    [
      'server hang-up while listing',
      new Error('Server sent FIN packet unexpectedly, closing connection.'),
      'FTP_LIST',
      'list',
    ],
    [
      'untrusted certificate',
      socketError('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'),
      'FTP_TLS',
    ],
    ['TLS alert', socketError('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number'), 'FTP_TLS'],
    [
      'hostname mismatch',
      socketError(
        'ERR_TLS_CERT_ALTNAME_INVALID',
        "Hostname/IP does not match certificate's altnames",
      ),
      'FTP_TLS',
    ],
    ['something else', 'a string', 'INTERNAL'],
  ];
  for (const [label, error, code, operation] of cases) {
    it(`classifies ${label} as ${code}`, () => {
      const classified = toIngestError(error, { ftpPath: '/in/a.csv' }, operation);
      assert.equal(classified.code, code);
      assert.equal(classified.context.ftpPath, '/in/a.csv');
      if (error instanceof FTPError) assert.equal(classified.context.replyCode, error.code);
    });
  }

  it('marks busy, timeouts and lost connections transient, a bad password permanent', () => {
    assert.equal(toIngestError(reply('530 Too many users'), {}).transient, true);
    assert.equal(toIngestError(new Error('Timeout (control socket)'), {}).transient, true);
    assert.equal(toIngestError(reply('530 Login incorrect.'), {}).transient, false);
    assert.equal(toIngestError(reply('550 Failed to open file.'), {}).transient, false);
  });

  it('keeps the original error as cause and the reply in the message', () => {
    const original = reply('550 Failed to open file.');
    const classified = toIngestError(original, { ftpPath: '/x' });
    assert.equal(classified.cause, original);
    assert.match(classified.message, /550 Failed to open file/);
  });

  it('passes an IngestError through unchanged', () => {
    const error = new IngestError('FILE_CHANGED', 'changed');
    assert.equal(toIngestError(error, {}), error);
  });

  it('tells too-many-connections replies from other 421 and 530 replies', () => {
    assert.equal(isTooManyConnections(reply('530 Too many users - please try again later')), true);
    assert.equal(isTooManyConnections(reply('530 Login incorrect.')), false);
    assert.equal(isTooManyConnections(reply('550 Too many files')), false);
  });
});

describe('errors classified by the pool, seen by the caller', () => {
  it('gain the caller context so the message names the file', () => {
    const fromPool = toIngestError(reply('550 No such file'), {});
    const seen = toIngestError(fromPool, { ftpPath: '/in/a.csv', blobName: 'src/in/a.csv' });
    assert.equal(seen.code, 'FTP_NOT_FOUND');
    assert.match(seen.describe(), /ftpPath=\/in\/a\.csv/);
    assert.match(seen.describe(), /blobName=src\/in\/a\.csv/);
  });

  it('become FTP_LIST when the connection was lost while listing', () => {
    const fromPool = toIngestError(socketError('ECONNRESET'), {}, 'transfer');
    assert.equal(fromPool.code, 'FTP_TRANSFER');
    assert.equal(toIngestError(fromPool, { ftpPath: '/in' }, 'list').code, 'FTP_LIST');
  });

  it('keep a connect failure a connect failure whatever the caller was doing', () => {
    const refused = toIngestError(socketError('ECONNREFUSED'), {}, 'connect');
    assert.equal(toIngestError(refused, { ftpPath: '/in/a.csv' }, 'transfer').code, 'FTP_CONNECT');
  });
});
