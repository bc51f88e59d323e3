import { IngestError } from '../errors/IngestError.js';

/** Blob Storage refuses names longer than this many characters. */
export const maxBlobNameLength = 1024;
/** ...and names of more than this many `/`-separated segments. */
const maxSegments = 254;

/**
 * Maps a remote path (relative to the source root, `/`-separated) to its incoming blob name,
 * `<source>/<path>`. The mapping is reversible by `remotePathOf` and can never leave the source
 * prefix: `%`, `\`, control characters, and segments the service mishandles (`.`, `..`, names
 * ending in a dot) are percent-encoded rather than interpreted or dropped.
 */
export function blobNameFor(source: string, relativePath: string): string {
  const segments = relativePath.split('/').filter((segment) => segment !== '');
  if (segments.length === 0)
    throw new IngestError('FILE_NAME', 'Remote path is empty after removing slashes', {
      source,
      ftpPath: relativePath,
    });
  const name = [source, ...segments.map(encodeSegment)].join('/');
  if (segments.length + 1 > maxSegments || name.length > maxBlobNameLength)
    throw new IngestError(
      'FILE_NAME',
      `Blob name would be ${name.length} characters in ${segments.length + 1} segments;` +
        ` Blob Storage allows ${maxBlobNameLength} characters and ${maxSegments} segments`,
      { source, ftpPath: relativePath },
    );
  return name;
}

/** The remote path (relative to the source root) a blob name was made from. */
export function remotePathOf(source: string, blobName: string): string {
  const prefix = source + '/';
  if (!blobName.startsWith(prefix))
    throw new IngestError('FILE_NAME', `Blob "${blobName}" is not under source prefix "${prefix}"`);
  return blobName.slice(prefix.length).split('/').map(decodeURIComponent).join('/');
}

/** The prefix under which every blob of a source lives, `<source>/`. */
export function sourcePrefix(source: string): string {
  return source + '/';
}

function encodeSegment(segment: string): string {
  // Percent first, so that decoding is exact; then what the service or a path parser would
  // reinterpret: backslash (a separator to some tools), controls, and `?`/`#` stay literal
  // because the SDK escapes them in URLs.
  let encoded = segment.replace(/[%\\\u0000-\u001f\u007f]/g, percent);
  if (encoded === '.' || encoded === '..') return encoded.replace(/\./g, '%2E');
  // The service strips trailing dots from names, which would merge "a." and "a".
  if (encoded.endsWith('.')) encoded = encoded.slice(0, -1) + '%2E';
  return encoded;
}

function percent(char: string): string {
  return '%' + char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0');
}
