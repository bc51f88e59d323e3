import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import iconv from 'iconv-lite';

/** One generated vendor file and what processing should make of it. */
export interface SampleFile {
  readonly path: string;
  readonly bytes: Buffer;
  /** Data records in the file (header excluded), as the demo expects them processed. */
  readonly records: number;
  readonly rejected: number;
}

/**
 * Vendor-like files, the same bytes on every run: quoted and unquoted CSV in dated folders, a
 * pipe file, a Windows-1252 pipe file, a gzip file, a file with bad rows and one of several MB.
 */
export function sampleFiles(): SampleFile[] {
  const files: SampleFile[] = [];
  const add = (path: string, bytes: Buffer, records: number, rejected = 0) =>
    files.push({ path, bytes, records, rejected });

  add(
    'orders/2026-12-01/orders.csv',
    Buffer.from(
      'order_id,customer,amount,note\r\n' +
        '1001,"Smith, John",19.99,"said ""hi"""\r\n' +
        '1002,Jane Doe,5.00,\r\n' +
        '1003,"Multi\r\nLine Ltd",120.50,"two lines"\r\n',
    ),
    3,
  );
  add(
    'orders/2026-12-02/orders.csv',
    Buffer.from('order_id,customer,amount,note\n2001,Acme,10.00,none\n2002,Globex,20.00,none\n'),
    2,
  );
  add(
    'inventory/stock.psv',
    Buffer.from('sku|warehouse|quantity\nA-1|north|12\nA-2|south|0\nB-7|north|340\n'),
    3,
  );
  // Windows-1252: "München" and "Café" are single bytes 0xFC and 0xE9 here, invalid as UTF-8.
  add(
    'legacy/kunden.txt',
    iconv.encode(
      'kunde|stadt|umsatz\nMüller GmbH|München|1.234,50\nCafé Noir|Köln|99,00\n',
      'win1252',
    ),
    2,
  );
  const events = ['event_id,kind,at'];
  for (let i = 1; i <= 500; i += 1)
    events.push(
      `${i},${i % 3 === 0 ? 'click' : 'view'},2026-12-01T10:${String(i % 60).padStart(2, '0')}:00Z`,
    );
  add('archive/events.csv.gz', gzipSync(Buffer.from(events.join('\n') + '\n')), 500);
  // Two bad rows: one with a missing field, one whose price is not a number.
  add(
    'quality/prices.csv',
    Buffer.from('sku,price,currency\nA-1,9.99,EUR\nA-2,oops,EUR\nA-3,4.50\nA-4,1.25,USD\n'),
    4,
    2,
  );
  add('big/transactions.csv', bigCsv(120_000), 120_000);
  return files;
}

/** A deterministic CSV of `rows` transactions, about 60 bytes a row. */
function bigCsv(rows: number): Buffer {
  const lines = ['txn_id,account,amount,currency,booked_at'];
  let seed = 42;
  for (let i = 1; i <= rows; i += 1) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const cents = seed % 1_000_000;
    lines.push(
      `${i},ACC${String(seed % 10_000).padStart(5, '0')},${(cents / 100).toFixed(2)},EUR,2026-11-${String((i % 28) + 1).padStart(2, '0')}`,
    );
  }
  return Buffer.from(lines.join('\n') + '\n');
}

/** Writes the files under `root`, with a fixed modification time an hour in the past. */
export async function writeSampleFiles(root: string, files = sampleFiles()): Promise<void> {
  for (const file of files) {
    const target = join(root, file.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.bytes);
  }
}

/** The format catalog the demo's files need (see the README's format reference). */
export const demoFormats = [
  { match: '**/*.psv', delimiter: '|' },
  {
    match: 'legacy/*.txt',
    delimiter: '|',
    encoding: 'windows-1252',
    columns: [
      'kunde',
      'stadt',
      { name: 'umsatz', type: 'decimal', decimalSeparator: ',', thousandsSeparator: '.' },
    ],
  },
  {
    match: 'quality/*.csv',
    columns: [
      { name: 'sku', type: 'string', required: true },
      { name: 'price', type: 'decimal', required: true },
      { name: 'currency', type: 'enum', values: ['EUR', 'USD'], required: true },
    ],
  },
];
