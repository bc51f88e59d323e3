import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One child process run: its wall time and its peak resident memory, seen from outside. */
export interface Measured {
  readonly wallMs: number;
  /** VmHWM of the process (GNU time's %M), in bytes. */
  readonly peakRss: number;
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface MeasureOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Fails the run when the command exits non-zero. Default true. */
  readonly check?: boolean;
}

const timeBinary = '/usr/bin/time';

/**
 * Runs `command` under GNU time, which reads the child's peak RSS from the kernel at exit, so
 * the figure is the process's own and not this harness's. Wall time is taken here around the
 * spawn, so it includes the child's start-up, as an operator running the command would see it.
 */
export async function measure(
  command: string,
  args: readonly string[],
  options: MeasureOptions = {},
): Promise<Measured> {
  if (!existsSync(timeBinary)) throw new Error('GNU time is missing: apt-get install -y time');
  const dir = await mkdtemp(join(tmpdir(), 'bench-time-'));
  const report = join(dir, 'rss');
  try {
    const started = process.hrtime.bigint();
    const child = spawn(timeBinary, ['-f', '%M', '-o', report, command, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number>((done, fail) => {
      child.once('error', fail);
      child.once('close', (exit) => done(exit ?? 1));
    });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    // time writes "Command exited with non-zero status N" before the figure when N ≠ 0.
    const lines = (await readFile(report, 'utf8')).trim().split('\n');
    const peakRss = Number(lines[lines.length - 1]) * 1024;
    if (code !== 0 && options.check !== false)
      throw new Error(
        `${command} ${args.join(' ')} exited with ${code}: ${stderr.slice(-2000) || stdout.slice(-2000)}`,
      );
    return { wallMs, peakRss, code, stdout, stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs several measured processes at once: wall time until the last ends, the largest RSS. */
export async function measureTogether(
  runs: readonly (() => Promise<Measured>)[],
): Promise<Measured> {
  const started = process.hrtime.bigint();
  const results = await Promise.all(runs.map((run) => run()));
  return {
    wallMs: Number(process.hrtime.bigint() - started) / 1e6,
    peakRss: Math.max(...results.map((r) => r.peakRss)),
    code: Math.max(...results.map((r) => r.code)),
    stdout: results.map((r) => r.stdout).join(''),
    stderr: results.map((r) => r.stderr).join(''),
  };
}
