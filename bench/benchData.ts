import { execFile } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { once } from 'node:events';

/**
 * Deterministic bench inputs, generated once per size and kept between runs: the same bytes
 * every run, so repetitions and before/after figures compare the same work.
 */

/** Every served file is older than this, so no run waits for a file to become stable. */
export const servedTime = new Date('2025-01-01T00:00:00Z');

/** Writes `bytes` of AES-CTR keystream: incompressible, fast to make, the same every time. */
export async function ensureBinaryFile(path: string, bytes: number): Promise<void> {
  if (await isDone(path, `binary ${bytes}`)) return;
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0));
  const zeros = Buffer.alloc(8 * 1024 * 1024);
  const out = createWriteStream(path);
  for (let written = 0; written < bytes; written += zeros.length) {
    const chunk = cipher.update(zeros.subarray(0, Math.min(zeros.length, bytes - written)));
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  await markDone(path, `binary ${bytes}`);
}

/** `count` files of 15–25 KB of CSV text in nested folders `dNN/sN/fNNN.csv`. */
export async function ensureSmallFiles(dir: string, count: number): Promise<number> {
  const label = `small ${count}`;
  if (await isDone(dir, label)) return Number(await readFile(`${markerOf(dir)}.bytes`, 'utf8'));
  await rm(dir, { recursive: true, force: true });
  let total = 0;
  for (let index = 0; index < count; index++) {
    const folder = join(dir, `d${String(index % 20).padStart(2, '0')}`, `s${(index >> 5) % 10}`);
    await mkdir(folder, { recursive: true });
    const rows = 150 + ((index * 7919) % 100);
    const body = csvRows(index * 1000, rows, true);
    total += body.length;
    const file = join(folder, `f${String(index).padStart(4, '0')}.csv`);
    await writeFile(file, body);
    await utimes(file, servedTime, servedTime);
  }
  await mkdir(dirname(markerOf(dir)), { recursive: true });
  await writeFile(`${markerOf(dir)}.bytes`, String(total));
  await servable(dir);
  await markDone(dir, label);
  return total;
}

/** A CSV of about `bytes` with a header and typed columns, written in 4 MiB pieces. */
export async function ensureCsvFile(path: string, bytes: number): Promise<void> {
  if (await isDone(path, `csv ${bytes}`)) return;
  const out = createWriteStream(path);
  out.write(csvHeader);
  let written = csvHeader.length;
  for (let row = 0; written < bytes; row += 40_000) {
    const text = csvRows(row, 40_000, false);
    written += text.length;
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  await markDone(path, `csv ${bytes}`);
}

/** `count` files of a few bytes, 1,000 per folder, all with the same server time. */
export async function ensureTinyFiles(dir: string, count: number): Promise<void> {
  const label = `tiny ${count}`;
  if (await isDone(dir, label)) return;
  await rm(dir, { recursive: true, force: true });
  for (let start = 0; start < count; start += 1000) {
    const folder = join(dir, `p${String(start / 1000).padStart(3, '0')}`);
    await mkdir(folder, { recursive: true });
    const names = Array.from({ length: Math.min(1000, count - start) }, (_, i) => start + i);
    await Promise.all(
      names.map(async (index) => {
        const file = join(folder, `t${String(index).padStart(6, '0')}.txt`);
        await writeFile(file, `${index}\n`);
        await utimes(file, servedTime, servedTime);
      }),
    );
  }
  await servable(dir);
  await markDone(dir, label);
}

/** The schema the processing bench declares, so typing work is part of what is measured. */
export const csvFormats = JSON.stringify([
  {
    match: '**/*.csv',
    delimiter: ',',
    columns: [
      { name: 'id', type: 'integer', required: true },
      { name: 'order_date', type: 'date' },
      { name: 'quantity', type: 'integer' },
      { name: 'unit_price', type: 'decimal' },
      { name: 'status', type: 'enum', values: ['open', 'shipped', 'returned'] },
    ],
  },
]);

const csvHeader = 'id,order_date,sku,quantity,unit_price,status,customer,note\n';
const statuses = ['open', 'shipped', 'returned'];

function csvRows(first: number, count: number, withHeader: boolean): string {
  let text = withHeader ? csvHeader : '';
  for (let id = first; id < first + count; id++) {
    const day = String((id % 28) + 1).padStart(2, '0');
    const month = String((id % 12) + 1).padStart(2, '0');
    const note = id % 10 === 0 ? `"gift, wrap ""${id % 7}"""` : `note ${id % 1000}`;
    text +=
      `${id},2025-${month}-${day},SKU-${(id * 31) % 100_000},${id % 50},` +
      `${((id % 10_000) / 100).toFixed(2)},${statuses[id % 3]},customer-${id % 5000},${note}\n`;
  }
  return text;
}

/** Markers live outside the served tree, where no FTP listing sees them. */
function markerOf(path: string): string {
  return join(tmpdir(), 'ftp-ingest-bench-markers', createHash('sha1').update(path).digest('hex'));
}

async function isDone(path: string, label: string): Promise<boolean> {
  if (!existsSync(path)) return false;
  try {
    return (await readFile(markerOf(path), 'utf8')) === label;
  } catch {
    return false;
  }
}

async function markDone(path: string, label: string): Promise<void> {
  await utimes(path, servedTime, servedTime);
  await servable(path);
  await mkdir(dirname(markerOf(path)), { recursive: true });
  await writeFile(markerOf(path), label);
}

/** vsftpd reads as an unprivileged user: make the tree world-readable. */
async function servable(path: string): Promise<void> {
  await new Promise<void>((done, fail) =>
    execFile('chmod', ['-R', 'a+rX', path], (error) => (error ? fail(error) : done())),
  );
}
