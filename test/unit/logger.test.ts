import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { Secret } from '../../src/config/Secret.js';
import { IngestError } from '../../src/errors/IngestError.js';
import { Logger, type LogLevel } from '../../src/telemetry/logger.js';

function capture(minLevel: LogLevel = 'debug') {
  const lines: string[] = [];
  const log = new Logger(
    [(level, message, fields) => lines.push(`${level} ${message} ${JSON.stringify(fields)}`)],
    minLevel,
  );
  return { log, lines };
}

describe('logging', () => {
  it('never prints a secret, wherever it hides', () => {
    const password = new Secret('s3cr3t-Pa55word');
    const { log, lines } = capture();
    log.info({ password, url: 'ftp://u:s3cr3t-Pa55word@host/' }, 'login with s3cr3t-Pa55word');
    log.error({ err: new IngestError('FTP_LOGIN', 'PASS s3cr3t-Pa55word refused') }, 'failed');
    assert.equal(lines.length, 2);
    for (const line of lines) assert.doesNotMatch(line, /s3cr3t-Pa55word/);
    assert.equal(String(password), '***');
    assert.equal(JSON.stringify({ password }), '{"password":"***"}');
    assert.doesNotMatch(inspect(password), /s3cr3t/);
    assert.equal(password.reveal(), 's3cr3t-Pa55word');
  });

  it('puts bound fields on every entry of a child logger', () => {
    const { log, lines } = capture();
    log.child({ runId: 'r1', source: 'acme' }).info({ ftpPath: '/a.csv' }, 'file transferred');
    assert.match(lines[0] ?? '', /"runId":"r1","source":"acme","ftpPath":"\/a.csv"/);
  });

  it('drops entries below the minimum level', () => {
    const { log, lines } = capture('warn');
    log.info({}, 'quiet');
    log.warn({}, 'loud');
    assert.deepEqual(
      lines.map((l) => l.split(' ')[1]),
      ['loud'],
    );
  });

  it('writes an error as its message with context, not as an empty object', () => {
    const { log, lines } = capture();
    log.error(
      { err: new IngestError('FTP_NOT_FOUND', 'No such file', { ftpPath: '/x' }) },
      'failed',
    );
    assert.match(lines[0] ?? '', /"err":"No such file \(ftpPath=\/x\)"/);
  });
});
