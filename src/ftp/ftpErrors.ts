import { FTPError } from 'basic-ftp';
import { IngestError, type ErrorCode, type ErrorContext } from '../errors/IngestError.js';

/** What the client was doing, so a reply like 451 becomes FTP_LIST rather than FTP_TRANSFER. */
export type FtpOperation = 'connect' | 'list' | 'transfer';

/**
 * "530 Too many users" and "421 There are too many connections from your internet address" mean
 * "back off", not "wrong password": vendors cap sessions per user and answer either way.
 */
const tooManyConnections =
  /too many|maximum (number of )?(connections|clients|users|sessions)|connection limit|no more (connections|clients|users)|limit reached/i;

const tlsErrorCodes =
  /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH)/;
const connectErrorCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** True for a server reply saying it has too many sessions open, in any of the usual wordings. */
export function isTooManyConnections(error: unknown): boolean {
  return (
    error instanceof FTPError &&
    (error.code === 421 || error.code === 530) &&
    tooManyConnections.test(error.message)
  );
}

/** basic-ftp's answer to a LIST reply that is neither Unix, DOS nor MLSD. */
export function isUnreadableListing(error: unknown): boolean {
  return error instanceof Error && /only supports MLSD, Unix- or DOS-style/.test(error.message);
}

/** Classifies an FTP failure by reply code or socket error into the app's one error type. */
export function toIngestError(
  error: unknown,
  context: ErrorContext,
  operation: FtpOperation = 'transfer',
): IngestError {
  if (error instanceof IngestError) return withCallerContext(error, context, operation);
  if (error instanceof FTPError) return fromReply(error, context, operation);
  const { code, message } = describeSocketError(error);
  const where = context.ftpPath === undefined ? '' : ` on ${context.ftpPath}`;
  const make = (ingestCode: ErrorCode, what: string) =>
    new IngestError(ingestCode, `${what}${where}: ${message}`, context, error);
  if (code !== undefined && tlsErrorCodes.test(code))
    return make('FTP_TLS', 'FTPS handshake failed');
  if (/certificate|\bTLS\b|\bSSL\b/i.test(message)) return make('FTP_TLS', 'FTPS failed');
  if (code === 'ETIMEDOUT' || /^(Client is closed because )?Timeout/i.test(message))
    return make('FTP_TIMEOUT', 'FTP server did not answer in time');
  if (
    (code !== undefined && connectErrorCodes.has(code)) ||
    /closed connection unexpectedly|FIN packet|transmission error|Client is closed/i.test(message)
  )
    return make(
      operation === 'list' ? 'FTP_LIST' : operation === 'connect' ? 'FTP_CONNECT' : 'FTP_TRANSFER',
      'FTP connection lost',
    );
  if (isUnreadableListing(error))
    return make('FTP_PROTOCOL', 'FTP listing in a format that cannot be read');
  if (/exceeded maximum allowed size|Invalid command/i.test(message))
    return make('FTP_PROTOCOL', 'FTP command refused by the client library');
  return make('INTERNAL', 'Unexpected FTP failure');
}

/**
 * The pool classifies what a task threw without knowing the task; the caller knows the path
 * and whether it was listing. A lost connection while listing becomes FTP_LIST, and every
 * error gains the caller's context, so messages name the file.
 */
function withCallerContext(
  error: IngestError,
  context: ErrorContext,
  operation: FtpOperation,
): IngestError {
  if (error.code === 'FTP_TRANSFER' && operation === 'list' && error.cause !== undefined)
    return toIngestError(error.cause, { ...error.context, ...context }, operation);
  const missing = Object.entries(context).some(
    ([key, value]) => value !== undefined && error.context[key as keyof ErrorContext] === undefined,
  );
  if (!missing) return error;
  return new IngestError(error.code, error.message, { ...context, ...error.context }, error.cause);
}

function fromReply(error: FTPError, context: ErrorContext, operation: FtpOperation): IngestError {
  const reply = error.message.trim();
  const withCode: ErrorContext = { ...context, replyCode: error.code };
  const where = context.ftpPath === undefined ? '' : ` for ${context.ftpPath}`;
  const make = (code: ErrorCode, what: string) =>
    new IngestError(code, `${what}${where}: server replied "${reply}"`, withCode, error);
  const transientCode: ErrorCode =
    operation === 'list' ? 'FTP_LIST' : operation === 'connect' ? 'FTP_CONNECT' : 'FTP_TRANSFER';
  if (isTooManyConnections(error)) return make('FTP_BUSY', 'FTP server has too many connections');
  switch (error.code) {
    case 421:
      return make('FTP_CONNECT', 'FTP server closed the session');
    case 425:
    case 426:
      return make(transientCode, 'FTP data connection failed');
    case 450:
    case 451:
    case 452:
      return make(transientCode, 'FTP server could not complete the request for now');
    case 530:
      return make('FTP_LOGIN', 'FTP login refused (expected a valid user and password)');
    case 550:
      return /permission|denied|not allowed|access/i.test(reply)
        ? make('FTP_PERMISSION', 'FTP server denied access')
        : make('FTP_NOT_FOUND', 'FTP path not found');
    case 553:
      return make('FTP_PERMISSION', 'FTP server refused the file name');
    case 522:
    case 534:
    case 535:
      return make('FTP_TLS', 'FTPS negotiation failed');
  }
  if (/\bTLS\b|\bSSL\b/i.test(reply)) return make('FTP_TLS', 'FTPS negotiation failed');
  if (error.code >= 400 && error.code < 500)
    return make(transientCode, 'FTP request failed for now');
  return make('FTP_PROTOCOL', 'FTP server refused the command');
}

function describeSocketError(error: unknown): { code?: string; message: string } {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { code: typeof code === 'string' ? code : undefined, message: error.message };
  }
  return { message: String(error) };
}
