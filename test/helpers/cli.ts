import { runCli, type ExitCode } from '../../src/cli/main.js';

/** What one CLI invocation printed and returned. */
export interface CliRun {
  readonly code: ExitCode;
  readonly out: string;
  readonly err: string;
}

/** Runs the CLI in this process with exactly `env` as its environment (no `.env`, no process env). */
export async function cli(argv: readonly string[], env: Record<string, string>): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    env,
    out: (text) => (out += text),
    err: (text) => (err += text),
  });
  return { code, out, err };
}
