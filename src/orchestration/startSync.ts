import type { DurableClient } from 'durable-functions';
import type { Logger } from '../telemetry/logger.js';
import type { SyncRequest } from './syncTypes.js';

/** The few client calls a starter makes, so tests can stand in for the extension. */
export type StarterClient = Pick<DurableClient, 'getStatus' | 'startNew' | 'terminate'>;

/** How a start request ended. */
export type StartOutcome =
  | { readonly kind: 'started'; readonly instanceId: string; readonly replacedStale: boolean }
  | { readonly kind: 'running'; readonly instanceId: string; readonly runtimeStatus: string };

/** Options of a start; defaults are for the host. */
export interface StartOptions {
  readonly orchestrator: string;
  /** A Pending or Running instance idle this long is terminated. Default 120. */
  readonly staleAfterMinutes?: number;
  readonly log: Logger;
  readonly now?: () => Date;
  /** Waits between status checks after a termination. Default a real 2 s timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The one instance id of a source's sync, which is what makes runs never overlap. */
export function syncInstanceId(source: string): string {
  return `sync-${source}`;
}

/** States in which the instance is still doing (or about to do) work. */
const activeStates = new Set(['Pending', 'Running', 'ContinuedAsNew', 'Suspended']);
/** Active states in which an instance can be stuck; Suspended is left to whoever suspended it. */
const stallableStates = new Set(['Pending', 'Running', 'ContinuedAsNew']);

/**
 * Starts the sync of `request.source` unless an instance of it is active. An instance idle
 * (no history update) for `staleAfterMinutes` is terminated first: a Pending run whose start
 * message was lost would otherwise block the schedule forever. Idle time, not age, so a long
 * run that is still moving batches is never cut off.
 */
export async function startSync(
  client: StarterClient,
  request: SyncRequest,
  options: StartOptions,
): Promise<StartOutcome> {
  const instanceId = syncInstanceId(request.source);
  const log = options.log.child({ source: request.source, instanceId });
  const now = options.now ?? (() => new Date());
  const staleAfterMs = (options.staleAfterMinutes ?? 120) * 60_000;

  let replacedStale = false;
  const existing = await readStatus(client, instanceId);
  if (existing !== undefined && activeStates.has(existing.runtimeStatus)) {
    const idleMs = now().getTime() - new Date(existing.lastUpdatedTime).getTime();
    if (!stallableStates.has(existing.runtimeStatus) || idleMs < staleAfterMs)
      return { kind: 'running', instanceId, runtimeStatus: existing.runtimeStatus };
    log.warn(
      { runtimeStatus: existing.runtimeStatus, idleMinutes: Math.round(idleMs / 60_000) },
      'terminating a stale sync run',
    );
    await client.terminate(instanceId, `stale: no progress for ${Math.round(idleMs / 60_000)} min`);
    replacedStale = true;
    if (!(await waitUntilInactive(client, instanceId, options.sleep ?? delay)))
      return { kind: 'running', instanceId, runtimeStatus: existing.runtimeStatus };
  }

  try {
    await client.startNew(options.orchestrator, { instanceId, input: request });
  } catch (error) {
    // Another starter won the race: host.json lets startNew replace only non-running instances.
    const now = await readStatus(client, instanceId);
    if (now !== undefined && activeStates.has(now.runtimeStatus))
      return { kind: 'running', instanceId, runtimeStatus: now.runtimeStatus };
    throw error;
  }
  log.info({ replacedStale, paths: request.paths?.length ?? 0 }, 'sync started');
  return { kind: 'started', instanceId, replacedStale };
}

interface StatusView {
  readonly runtimeStatus: string;
  readonly lastUpdatedTime: Date | string;
}

/** The instance's status, or undefined when the extension has never heard of it. */
async function readStatus(
  client: StarterClient,
  instanceId: string,
): Promise<StatusView | undefined> {
  try {
    const status = await client.getStatus(instanceId, { showInput: false });
    return status?.runtimeStatus === undefined ? undefined : status;
  } catch (error) {
    if (error instanceof Error && /\b404\b/.test(error.message)) return undefined;
    throw error;
  }
}

/** A termination is a queued message: wait briefly for it to land before starting again. */
async function waitUntilInactive(
  client: StarterClient,
  instanceId: string,
  sleep: (ms: number) => Promise<void>,
): Promise<boolean> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const status = await readStatus(client, instanceId);
    if (status === undefined || !activeStates.has(status.runtimeStatus)) return true;
    await sleep(2000);
  }
  return false;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
