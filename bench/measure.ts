import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One child process run: its wall time and its peak resident memory, seen from outside. */
export interface Measured {
  readonly wallMs: number;
  /** VmHWM of the process (GNU time's %M), in bytes. */
  readonly peakRss: number;
  /** CPU time of the process and its children, user plus system (GNU time's %U + %S). */
  readonly cpuMs: number;
  /**
   * Share of all the machine's cores that were busy during the run, whoever used them (the
   * servers too). Near 1, the run was bound by CPU, not by the network or the tool's design.
   */
  readonly machineBusy: number;
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
    const before = cpuTicks();
    const started = process.hrtime.bigint();
    const child = spawn(timeBinary, ['-f', '%U %S %M', '-o', report, command, ...args], {
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
    const machineBusy = busyShare(before, cpuTicks());
    // time writes "Command exited with non-zero status N" before the figures when N ≠ 0.
    const lines = (await readFile(report, 'utf8')).trim().split('\n');
    const [user, system, rss] = (lines[lines.length - 1] ?? '').split(' ').map(Number);
    const peakRss = rss * 1024;
    const cpuMs = (user + system) * 1000;
    if (code !== 0 && options.check !== false)
      throw new Error(
        `${command} ${args.join(' ')} exited with ${code}: ${stderr.slice(-2000) || stdout.slice(-2000)}`,
      );
    return { wallMs, peakRss, cpuMs, machineBusy, code, stdout, stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs several measured processes at once: wall time until the last ends, the largest RSS. */
export async function measureTogether(
  runs: readonly (() => Promise<Measured>)[],
): Promise<Measured> {
  const before = cpuTicks();
  const started = process.hrtime.bigint();
  const results = await Promise.all(runs.map((run) => run()));
  return {
    wallMs: Number(process.hrtime.bigint() - started) / 1e6,
    peakRss: Math.max(...results.map((r) => r.peakRss)),
    cpuMs: results.reduce((sum, r) => sum + r.cpuMs, 0),
    machineBusy: busyShare(before, cpuTicks()),
    code: Math.max(...results.map((r) => r.code)),
    stdout: results.map((r) => r.stdout).join(''),
    stderr: results.map((r) => r.stderr).join(''),
  };
}

interface CpuTicks {
  readonly idle: number;
  readonly total: number;
}

/** The machine's CPU counters since boot, from the first line of /proc/stat. */
function cpuTicks(): CpuTicks {
  // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
  const ticks = fields.slice(1).map(Number);
  return { idle: ticks[3] + ticks[4], total: ticks.reduce((sum, tick) => sum + tick, 0) };
}

function busyShare(before: CpuTicks, after: CpuTicks): number {
  const total = after.total - before.total;
  return total <= 0 ? 0 : 1 - (after.idle - before.idle) / total;
}
