import azureFunctions from '@azure/functions';
import { registeredFunction } from './functionsHost.js';

// A webpack bundle: Node cannot see its class exports as named ESM exports.
const { InvocationContext } = azureFunctions;
type InvocationContext = InstanceType<typeof InvocationContext>;

// Drives a registered orchestrator the way the Durable extension's out-of-process shim does:
// history in, actions out, one episode per delivered event. Actions are replayed in order and a
// later action is only invoked once every earlier one has completed, as the shim awaits them;
// every child of a compound action is scheduled as a new task with the next event id, exactly
// as the extension does, so a re-sent action shows up as a duplicate schedule.

/** Replaces a registered activity handler, for failures a real server cannot be made to show. */
export type ActivityImpl = (input: unknown, context: InvocationContext) => unknown;

/** One scheduled task the harness may complete next. */
export interface PendingItem {
  readonly eventId: number;
  readonly kind: 'activity' | 'timer';
  readonly name?: string;
  readonly input?: unknown;
}

/** Options of one orchestration run. */
export interface HarnessOptions {
  readonly orchestrator: string;
  readonly input: unknown;
  readonly instanceId?: string;
  readonly start?: Date;
  readonly activities?: Readonly<Record<string, ActivityImpl>>;
  /** Index of the pending item to complete next. Default: the oldest. */
  readonly pick?: (pending: readonly PendingItem[], episode: number) => number;
  /** Replay schema the "extension" offers: 0 (V1) to 3 (V4). Default 3. */
  readonly schemaVersion?: number;
  readonly maxEpisodes?: number;
}

/** One activity execution, in the order they started. */
export interface ActivityCall {
  readonly name: string;
  readonly input: unknown;
  readonly eventId: number;
  readonly execution: number;
  /** Position of its start and of its result among all starts and results of the run. */
  readonly startedSeq: number;
  readonly settledSeq?: number;
  readonly outcome?: 'completed' | 'failed';
}

/** What a run did. */
export interface HarnessRun {
  readonly status: 'Completed' | 'Failed';
  readonly output: unknown;
  readonly error?: string;
  readonly executions: number;
  readonly episodes: number;
  readonly calls: ActivityCall[];
  readonly customStatuses: unknown[];
  /** Most executions of each activity in flight at once. */
  readonly maxInFlight: Record<string, number>;
  /** Delays (ms) of the retry timers the extension created, in order. */
  readonly retryDelays: number[];
  /** Each execution's final history, for replay checks. */
  readonly histories: HistoryEvent[][];
  readonly inputs: unknown[];
}

/** A history event as the extension sends it (JSON, PascalCase). */
export interface HistoryEvent {
  readonly EventType: number;
  readonly EventId: number;
  IsPlayed: boolean;
  readonly Timestamp: string;
  readonly [field: string]: unknown;
}

/** Raw action as the SDK returns it. */
interface Action {
  readonly actionType: number;
  readonly functionName?: string;
  readonly input?: unknown;
  readonly fireAt?: string;
  readonly retryOptions?: RetryJson;
  readonly compoundActions?: Action[];
}

interface RetryJson {
  readonly firstRetryIntervalInMilliseconds: number;
  readonly maxNumberOfAttempts: number;
  readonly backoffCoefficient?: number;
  readonly maxRetryIntervalInMilliseconds?: number;
}

/** A leaf task on the extension side; `done` once its final event is in the history. */
interface Leaf {
  readonly action: Action;
  done: boolean;
  attempts: number;
  eventId: number;
  waiting: 'activity' | 'timer';
  result?: Promise<{ ok: true; value: unknown } | { ok: false; error: Error }>;
  fireAt?: number;
  call?: number;
}

/** Event types of the history (HistoryEventType in the SDK). */
export const EventType = {
  ExecutionStarted: 0,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
} as const;

const ActionType = { CallActivity: 0, CallActivityWithRetry: 1, ContinueAsNew: 4, CreateTimer: 5 };
const WhenAny = 11;
const WhenAll = 12;

/** Result of one episode: the state the SDK returned, or its failure with that state. */
export interface EpisodeState {
  readonly isDone: boolean;
  readonly actions: Action[][];
  readonly output?: unknown;
  readonly error?: string;
  readonly customStatus?: unknown;
}

/** Runs one episode of the registered orchestrator over `history`, as the worker would. */
export async function runEpisode(
  orchestrator: string,
  history: readonly HistoryEvent[],
  input: unknown,
  instanceId: string,
  schemaVersion = 3,
): Promise<EpisodeState> {
  const trigger = JSON.parse(
    JSON.stringify({
      history,
      input,
      instanceId,
      isReplaying: false,
      parentInstanceId: '',
      upperSchemaVersion: Math.min(schemaVersion, 1),
      upperSchemaVersionNew: schemaVersion,
      maximumShortTimerDuration: '6.00:00:00',
      longRunningTimerIntervalDuration: '3.00:00:00',
      defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
    }),
  ) as unknown;
  const context = new InvocationContext({ functionName: orchestrator, logHandler: () => {} });
  try {
    const state = await registeredFunction(orchestrator).handler(trigger, context);
    return JSON.parse(JSON.stringify(state)) as EpisodeState;
  } catch (error) {
    const label = '$OutOfProcData$:';
    const message = error instanceof Error ? error.message : String(error);
    if (!message.includes(label)) throw error;
    return JSON.parse(message.slice(message.indexOf(label) + label.length)) as EpisodeState;
  }
}

/** Runs an orchestration to its end, executing its activities and timers. */
export async function runOrchestration(options: HarnessOptions): Promise<HarnessRun> {
  const run: Omit<HarnessRun, 'status' | 'output' | 'executions' | 'episodes'> = {
    calls: [],
    customStatuses: [],
    maxInFlight: {},
    retryDelays: [],
    histories: [],
    inputs: [],
  };
  const instanceId = options.instanceId ?? 'harness-instance';
  let now = (options.start ?? new Date('2026-01-05T06:00:00Z')).getTime();
  let input = options.input;
  let episodes = 0;
  for (let execution = 1; ; execution++) {
    run.inputs.push(input);
    const ex = new Execution(options, run, execution, () => now);
    ex.append(EventType.OrchestratorStarted);
    ex.append(EventType.ExecutionStarted, {
      Name: options.orchestrator,
      Input: JSON.stringify(input),
    });
    for (;;) {
      if (++episodes > (options.maxEpisodes ?? 5000)) throw new Error('too many episodes');
      const { orchestrator, schemaVersion } = options;
      const state = await runEpisode(orchestrator, ex.history, input, instanceId, schemaVersion);
      run.customStatuses.push(state.customStatus);
      const next = ex.replay(state);
      if (next.kind === 'continue') {
        run.histories.push(ex.history);
        input = next.input;
        break;
      }
      if (next.kind === 'done') {
        run.histories.push(ex.history);
        const status = state.error === undefined ? 'Completed' : 'Failed';
        const { output, error } = state;
        return { ...run, status, output, error, executions: execution, episodes };
      }
      now = await ex.deliverNext(episodes);
    }
  }
}

type ReplayStep = { kind: 'wait' } | { kind: 'done' } | { kind: 'continue'; input: unknown };

/** One execution's history and the extension-side state of its tasks. */
class Execution {
  readonly history: HistoryEvent[] = [];
  private nextEventId = 0;
  private readonly units: Leaf[][] = [];
  private readonly compound: (Leaf[] | null)[] = [];
  private readonly running: Record<string, number> = {};
  private seen: string[] = [];
  private static sequence = 0;

  constructor(
    private readonly options: HarnessOptions,
    private readonly run: Omit<HarnessRun, 'status' | 'output' | 'executions' | 'episodes'>,
    private readonly execution: number,
    private readonly clock: () => number,
  ) {}

  /** Appends an event stamped `time`; `EventId` is -1 unless given. */
  append(type: number, fields: Record<string, unknown> = {}, time = this.clock()): void {
    const EventId = typeof fields.EventId === 'number' ? fields.EventId : -1;
    const Timestamp = new Date(time).toISOString();
    this.history.push({ ...fields, EventType: type, EventId, IsPlayed: false, Timestamp });
  }

  /** Checks the actions against the last episode's and invokes the new ones the shim reaches. */
  replay(state: EpisodeState): ReplayStep {
    const actions = this.topLevel(state);
    const rendered = actions.map((a) => JSON.stringify(a));
    for (let i = 0; i < this.seen.length; i++)
      if (rendered[i] !== this.seen[i])
        throw new Error(
          `non-deterministic replay at action ${i}: ${this.seen[i]} -> ${rendered[i]}`,
        );
    this.seen = rendered;
    for (const event of this.history) event.IsPlayed = true;
    for (let i = this.units.length; i < actions.length; i++) {
      // The shim awaits each action before it invokes the next one.
      if (!this.units.every((unit, k) => this.isComplete(unit, k))) break;
      const action = actions[i];
      if (action.actionType === ActionType.ContinueAsNew)
        return { kind: 'continue', input: action.input };
      const leaves = this.leavesOf(action).map((leaf) => this.schedule(leaf));
      this.units.push(leaves);
      this.compound.push(action.actionType === WhenAll ? leaves : null);
    }
    if (state.isDone || state.error !== undefined) return { kind: 'done' };
    return { kind: 'wait' };
  }

  /** Completes one pending task, chosen by `pick`, and appends its events. Returns the time. */
  async deliverNext(episode: number): Promise<number> {
    const pending = this.units.flat().filter((leaf) => !leaf.done);
    if (pending.length === 0) throw new Error('orchestration waits on nothing: it would hang');
    pending.sort((a, b) => a.eventId - b.eventId);
    const items: PendingItem[] = pending.map((leaf) => ({
      eventId: leaf.eventId,
      kind: leaf.waiting,
      name: leaf.action.functionName,
      input: leaf.action.input,
    }));
    const leaf = pending[(this.options.pick ?? (() => 0))(items, episode)];
    if (leaf === undefined) throw new Error('pick chose no pending item');
    let time = this.clock() + 1000;
    if (leaf.waiting === 'timer') time = Math.max(time, leaf.fireAt ?? time);
    this.append(EventType.OrchestratorStarted, {}, time);
    if (leaf.waiting === 'timer') this.fireTimer(leaf, time);
    else this.finishAttempt(leaf, await leaf.result, time);
    return time;
  }

  private fireTimer(leaf: Leaf, time: number): void {
    const FireAt = new Date(leaf.fireAt ?? time).toISOString();
    this.append(EventType.TimerFired, { TimerId: leaf.eventId, FireAt }, time);
    const retry = leaf.action.retryOptions;
    if (retry === undefined || leaf.attempts >= retry.maxNumberOfAttempts) leaf.done = true;
    else this.startAttempt(leaf, time);
  }

  private finishAttempt(leaf: Leaf, outcome: Awaited<Leaf['result']>, time: number): void {
    const name = leaf.action.functionName ?? '';
    this.inFlight(name, -1);
    if (leaf.call !== undefined)
      this.run.calls[leaf.call] = {
        ...this.run.calls[leaf.call],
        outcome: outcome?.ok === true ? 'completed' : 'failed',
        settledSeq: Execution.sequence++,
      };
    if (outcome?.ok === true) {
      const Result = JSON.stringify(outcome.value ?? null);
      this.append(EventType.TaskCompleted, { TaskScheduledId: leaf.eventId, Result }, time);
      leaf.done = true;
      return;
    }
    const error = outcome?.ok === false ? outcome.error : new Error('no result');
    const Reason = `Activity function '${name}' failed: ${error.message}`;
    const failed = { TaskScheduledId: leaf.eventId, Reason, Details: error.stack ?? '' };
    this.append(EventType.TaskFailed, failed, time);
    const retry = leaf.action.retryOptions;
    if (retry === undefined) {
      leaf.done = true;
      return;
    }
    // The extension's retry interceptor waits even after the last attempt before giving up.
    const delay = Math.min(
      retry.firstRetryIntervalInMilliseconds *
        (retry.backoffCoefficient ?? 1) ** (leaf.attempts - 1),
      retry.maxRetryIntervalInMilliseconds ?? Number.MAX_SAFE_INTEGER,
    );
    this.run.retryDelays.push(delay);
    leaf.eventId = this.nextEventId++;
    leaf.waiting = 'timer';
    leaf.fireAt = time + delay;
    const FireAt = new Date(leaf.fireAt).toISOString();
    this.append(EventType.TimerCreated, { EventId: leaf.eventId, FireAt }, time);
  }

  private topLevel(state: EpisodeState): Action[] {
    if ((this.options.schemaVersion ?? 3) >= 1) return state.actions[0] ?? [];
    // Schema V1: one set per yield, which the extension awaits as a WhenAny.
    return state.actions.map((set) =>
      set.length === 1 ? set[0] : { actionType: WhenAny, compoundActions: set },
    );
  }

  private leavesOf(action: Action): Action[] {
    if (action.actionType === WhenAny || action.actionType === WhenAll)
      return (action.compoundActions ?? []).flatMap((child) => this.leavesOf(child));
    return [action];
  }

  private isComplete(unit: Leaf[], index: number): boolean {
    return this.compound[index] === null ? unit.some((l) => l.done) : unit.every((l) => l.done);
  }

  private schedule(action: Action): Leaf {
    const leaf: Leaf = { action, done: false, attempts: 0, eventId: -1, waiting: 'activity' };
    if (action.actionType === ActionType.CreateTimer) {
      leaf.eventId = this.nextEventId++;
      leaf.waiting = 'timer';
      leaf.fireAt = Date.parse(action.fireAt ?? new Date(this.clock()).toISOString());
      this.append(EventType.TimerCreated, { EventId: leaf.eventId, FireAt: action.fireAt });
      return leaf;
    }
    const isCall =
      action.actionType === ActionType.CallActivity ||
      action.actionType === ActionType.CallActivityWithRetry;
    if (!isCall) throw new Error(`the harness does not model action type ${action.actionType}`);
    this.startAttempt(leaf, this.clock());
    return leaf;
  }

  private startAttempt(leaf: Leaf, time: number): void {
    const name = leaf.action.functionName ?? '';
    leaf.attempts++;
    leaf.eventId = this.nextEventId++;
    leaf.waiting = 'activity';
    const Input = JSON.stringify(leaf.action.input);
    this.append(EventType.TaskScheduled, { EventId: leaf.eventId, Name: name, Input }, time);
    const input = JSON.parse(JSON.stringify(leaf.action.input ?? null)) as unknown;
    leaf.call = this.run.calls.length;
    const startedSeq = Execution.sequence++;
    this.run.calls.push({
      name,
      input,
      eventId: leaf.eventId,
      execution: this.execution,
      startedSeq,
    });
    this.inFlight(name, +1);
    const impl = this.options.activities?.[name] ?? registeredFunction(name).handler;
    const context = new InvocationContext({ functionName: name, logHandler: () => {} });
    leaf.result = Promise.resolve()
      .then(() => impl(input, context))
      .then(
        (value) => ({ ok: true as const, value: JSON.parse(JSON.stringify(value ?? null)) }),
        (error: unknown) => ({
          ok: false as const,
          error: error instanceof Error ? error : new Error(String(error)),
        }),
      );
  }

  private inFlight(name: string, delta: number): void {
    this.running[name] = (this.running[name] ?? 0) + delta;
    this.run.maxInFlight[name] = Math.max(this.run.maxInFlight[name] ?? 0, this.running[name]);
  }
}
