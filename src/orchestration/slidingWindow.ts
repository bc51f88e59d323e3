import type { OrchestrationContext, Task } from 'durable-functions';

/** What the window reports as each item settles. */
export interface WindowCallbacks<T> {
  /** Starts item `index`; called in index order, never with more than `limit` in flight. */
  readonly start: (index: number) => Task;
  /** The item's task completed with this result. */
  readonly completed: (index: number, result: T) => void;
  /** The item's task failed after whatever retries it carried. */
  readonly failed: (index: number, error: Error) => void;
  /** After each step, with the number still in flight, for progress. */
  readonly step?: (inFlight: number) => void;
  /** Asked before each start: true starts nothing more; what runs is still awaited. */
  readonly stop?: () => boolean;
}

/**
 * Runs items `first` to `end - 1` with at most `limit` tasks in flight, starting the next item as
 * soon as one running batch settles rather than in fixed waves. Returns the first item it did
 * not start: `end`, unless `stop` said so earlier.
 *
 * Two workarounds keep the host's history consistent. durable-functions 3.5 sends every child of
 * a new `Task.any` as a new action, so re-awaiting tasks that are already running would schedule
 * them a second time (Azure/azure-functions-durable-js#574). New tasks are therefore scheduled
 * together with a timer due now, so that wait returns at once; tasks already running are awaited
 * through `awaitScheduled`, which sends no action at all.
 */
export function* runWindow<T>(
  context: OrchestrationContext,
  first: number,
  end: number,
  limit: number,
  callbacks: WindowCallbacks<T>,
): Generator<Task, number, unknown> {
  const inFlight = new Map<number, Task>();
  let next = first;
  const stopped = () => callbacks.stop?.() === true;
  while ((next < end && !stopped()) || inFlight.size > 0) {
    const started: Task[] = [];
    while (next < end && inFlight.size < Math.max(1, limit) && !stopped()) {
      const task = callbacks.start(next);
      inFlight.set(next, task);
      started.push(task);
      next++;
    }
    if (started.length > 0) {
      const scheduled = context.df.createTimer(context.df.currentUtcDateTime);
      yield context.df.Task.any([...started, scheduled]);
    }
    if (settle(inFlight, callbacks) === 0 && inFlight.size > 0) {
      yield awaitScheduled(context, [...inFlight.values()]);
      settle(inFlight, callbacks);
    }
    callbacks.step?.(inFlight.size);
  }
  return next;
}

/** Hands every settled task to its callback, in index order; returns how many settled. */
function settle<T>(inFlight: Map<number, Task>, callbacks: WindowCallbacks<T>): number {
  let settled = 0;
  for (const [index, task] of [...inFlight].sort(([a], [b]) => a - b)) {
    if (task.isCompleted) callbacks.completed(index, task.result as T);
    else if (task.isFaulted) callbacks.failed(index, asError(task.result));
    else continue;
    inFlight.delete(index);
    settled++;
  }
  return settled;
}

/**
 * `Task.any` over tasks that were all yielded before. Marking the compound task as scheduled
 * keeps the SDK from sending their actions again; the SDK still wakes this task when any child's
 * completion arrives, because every child's parent is now this compound task.
 */
export function awaitScheduled(context: OrchestrationContext, tasks: readonly Task[]): Task {
  const any = context.df.Task.any([...tasks]) as Task & { alreadyScheduled?: boolean };
  if (!Object.hasOwn(any, 'alreadyScheduled'))
    throw new Error(
      'durable-functions no longer marks compound tasks with "alreadyScheduled": re-check the' +
        ' sliding window workaround before upgrading (Azure/azure-functions-durable-js#574)',
    );
  any.alreadyScheduled = true;
  return any;
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
