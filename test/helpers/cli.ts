import { runCli, type ExitCode } from '../../src/cli/main.js';

/** What one CLI invocation printed and returned. */
export interface CliRun {
  readonly code: ExitCode;
  readonly out: string;
  readonly err: string;
  /** The JSON log lines the run wrote to the process's stderr, one entry a line. */
  readonly logs: string;
}

/** Runs the CLI in this process with exactly `env` as its environment (no `.env`, no process env). */
export async function cli(argv: readonly string[], env: Record<string, string>): Promise<CliRun> {
  let out = '';
  let err = '';
  const stopCapture = captureStderr();
  try {
    const code = await runCli(argv, {
      env,
      out: (text) => (out += text),
      err: (text) => (err += text),
    });
    return { code, out, err, logs: stopCapture() };
  } catch (error) {
    stopCapture();
    throw error;
  }
}

const listeners = new Set<(text: string) => void>();
let originalWrite: typeof process.stderr.write | undefined;

/**
 * The CLI logs to `process.stderr` itself; this tees what is written there while a run lasts.
 * Overlapping runs each see every line written while they ran.
 */
function captureStderr(): () => string {
  let captured = '';
  const listener = (text: string) => (captured += text);
  listeners.add(listener);
  if (originalWrite === undefined) {
    const write = process.stderr.write.bind(process.stderr);
    originalWrite = process.stderr.write;
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      for (const each of listeners) each(text);
      // Keep the test runner's own output readable: only non-log writes pass through.
      if (process.env.FTP_INGEST_TEST_LOGS === '1' || !text.startsWith('{"time"'))
        return write(chunk, ...rest);
      return true;
    }) as typeof process.stderr.write;
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && originalWrite !== undefined) {
      process.stderr.write = originalWrite;
      originalWrite = undefined;
    }
    return captured;
  };
}
