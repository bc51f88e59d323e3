#!/usr/bin/env node
// V8's default young generation on purpose: `--max-semi-space-size=1` takes a 1 GiB transfer
// from about 155 to 135 MiB, but record processing, which keeps a batch of rows alive across
// each output write, then runs 20% slower and peaks near 172 MiB instead of 139 (bench/).
import { Command, Option } from 'commander';
import { pathToFileURL } from 'node:url';
import { realpathSync } from 'node:fs';
import { ConfigError, loadSettings, readEnvironment, type Settings } from '../config/settings.js';
import { IngestError, messageOf } from '../errors/IngestError.js';
import { Logger, stderrJsonSink } from '../telemetry/logger.js';

/** Exit codes: 0 every file succeeded, 1 a file or the run failed, 2 bad configuration. */
export type ExitCode = 0 | 1 | 2;

/** What a command needs from its host; tests pass their own environment and output. */
export interface CliContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** Runs the CLI with `argv` (without node and script) and returns its exit code. */
export async function runCli(argv: readonly string[], context: CliContext): Promise<ExitCode> {
  let exitCode: ExitCode = 0;
  const settingsOf = (ftpRequired = true): { settings: Settings; log: Logger } => {
    const settings = loadSettings(context.env, { ftpRequired });
    return { settings, log: new Logger([stderrJsonSink], settings.logLevel) };
  };
  const program = new Command('ftp-ingest')
    .description('Move vendor flat files from FTP/FTPS into Azure Blob Storage and process them.')
    .exitOverride()
    .configureOutput({ writeOut: context.out, writeErr: context.err });

  const addRunOptions = (command: Command) =>
    command
      .option('--source <name>', 'the source to sync (default: the first configured)')
      .option('--path <subtree...>', 'limit the run to these sub-trees of the source root')
      .option('--force', 'transfer files even when unchanged')
      .option('--json', 'print the run summary document as JSON instead of tables')
      .option('--no-progress', 'no progress bar, even on a terminal');

  addRunOptions(program.command('sync'))
    .option('--no-process', 'transfer only; leave record processing to the Functions app')
    .description('plan, transfer and process new or changed files')
    .addOption(new Option('--dry-run', 'show what would move and why, move nothing'))
    .action(async (options) => {
      const { runSyncCommand } = await import('./syncCommand.js');
      exitCode = await runSyncCommand(settingsOf(), options, context);
    });
  addRunOptions(program.command('plan'))
    // Accepted for scripts that pass sync's options to plan too; a plan processes nothing.
    .addOption(new Option('--no-process').hideHelp())
    .description('show what a sync would move and why (sync --dry-run)')
    .action(async (options) => {
      const { runSyncCommand } = await import('./syncCommand.js');
      exitCode = await runSyncCommand(settingsOf(), { ...options, dryRun: true }, context);
    });
  program
    .command('status')
    .description(
      "list incoming blobs with their status and record counts, and each source's last run",
    )
    .option('--source <name>', 'only this source')
    .option('--json', 'print JSON')
    .action(async (options) => {
      const { statusCommand } = await import('./statusCommand.js');
      exitCode = await statusCommand(settingsOf(false), options, context);
    });
  program
    .command('process')
    .description('process blobs again, replacing their outputs and stamp')
    .argument('[blob]', 'an incoming blob name, e.g. default/daily/orders.csv')
    .option('--failed', 'every blob whose status is failed')
    .option('--pending', 'every blob transferred but not processed (no Event Grid locally)')
    .option('--all', 'every blob of the source')
    .option(
      '--source <name>',
      'with --failed, --pending or --all: this source (default: the first)',
    )
    .option('--json', 'print JSON')
    .action(async (blob: string | undefined, options) => {
      const { processCommand } = await import('./processCommand.js');
      exitCode = await processCommand(settingsOf(false), blob, options, context);
    });

  // Commands load their modules when run: a transfer never carries the parsers in memory.
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof ConfigError) {
      context.err(error.message + '\n');
      return 2;
    }
    if (isCommanderExit(error)) return error.exitCode === 0 ? 0 : 2;
    context.err(`ftp-ingest: ${messageOf(error)}\n`);
    return error instanceof IngestError && error.code === 'CONFIG' ? 2 : 1;
  }
}

function isCommanderExit(error: unknown): error is { exitCode: number } {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    String(error.code).startsWith('commander.')
  );
}

const invokedDirectly =
  process.argv[1] !== undefined &&
  import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (invokedDirectly) {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)
    process.once(signal, () => void giveBackAndExit(signal, code));
  const code = await runCli(process.argv.slice(2), {
    env: readEnvironment('.env'),
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  });
  process.exitCode = code;
}

/**
 * Ctrl-C: the source lock and any processing claim are given back before exiting, so the next
 * run does not wait for them to lapse. A second Ctrl-C exits at once (the handler ran once).
 */
async function giveBackAndExit(signal: NodeJS.Signals, code: number): Promise<void> {
  process.stderr.write(
    `ftp-ingest: ${signal}: releasing the source lock and claims, then exiting\n`,
  );
  const { releaseAllHeld } = await import('../blob/heldLeases.js');
  await releaseAllHeld(5000);
  process.exit(code);
}
