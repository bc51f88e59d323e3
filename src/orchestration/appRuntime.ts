import type { InvocationContext } from '@azure/functions';
import { loadSettings, readEnvironment, type Settings } from '../config/settings.js';
import { processorOptionsFor } from '../records/processorOptions.js';
import type { ProcessorDeps } from '../records/processBlob.js';
import { createSyncDeps, findSource, type SyncDeps } from '../sync/SyncDeps.js';
import { Logger, stderrJsonSink } from '../telemetry/logger.js';
import { createTelemetry, invocationLogSink, type Telemetry } from '../telemetry/telemetry.js';
import type { ActivityDeps } from './syncActivities.js';

/** What a Functions worker builds once and shares across invocations. */
export interface AppRuntime {
  readonly settings: Settings;
  /** Clients with warm FTP pools; the logger is replaced per invocation. */
  readonly deps: SyncDeps;
  readonly telemetry: Telemetry;
}

let shared: Promise<AppRuntime> | undefined;

/**
 * The worker's runtime, built on first use: settings are read once, and the FTP pools survive
 * between invocations so consecutive batches reuse their logins. A failed build is not cached,
 * so a fixed Key Vault reference takes effect on the next invocation.
 */
export function appRuntime(): Promise<AppRuntime> {
  shared ??= buildRuntime().catch((error: unknown) => {
    shared = undefined;
    throw error;
  });
  return shared;
}

/** Replaces the runtime, for tests that run the registered handlers against their own servers. */
export function setAppRuntime(runtime: AppRuntime | undefined): void {
  shared = runtime === undefined ? undefined : Promise.resolve(runtime);
}

async function buildRuntime(): Promise<AppRuntime> {
  const settings = loadSettings(readEnvironment());
  const log = new Logger([stderrJsonSink], settings.logLevel);
  const telemetry = await createTelemetry({
    connectionString: settings.functions?.appInsightsConnectionString,
    identityClientId: settings.functions?.appInsightsIdentityClientId,
  });
  return { settings, deps: createSyncDeps(settings, log), telemetry };
}

/** A logger writing to this invocation's log, at the configured level. */
export function invocationLogger(runtime: AppRuntime, context: InvocationContext): Logger {
  return new Logger([invocationLogSink(context)], runtime.settings.logLevel, {
    invocationId: context.invocationId,
  });
}

/** Activity dependencies whose log entries land in this invocation. */
export async function activityDeps(context: InvocationContext): Promise<ActivityDeps> {
  const runtime = await appRuntime();
  return { ...runtime.deps, log: invocationLogger(runtime, context), telemetry: runtime.telemetry };
}

/** Record-processor dependencies for a blob of the incoming container. */
export async function processorDeps(
  context: InvocationContext,
  sourceName: string | undefined,
): Promise<ProcessorDeps & { readonly telemetry: Telemetry }> {
  const runtime = await appRuntime();
  const { settings, deps } = runtime;
  return {
    incoming: deps.blobService.getContainerClient(settings.incomingContainer),
    processed: deps.blobService.getContainerClient(settings.processedContainer),
    log: invocationLogger(runtime, context),
    options: processorOptionsFor(settings, findSource(settings, sourceName)),
    telemetry: runtime.telemetry,
  };
}
