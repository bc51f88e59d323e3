import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DurableOrchestrationStatus, HttpManagementPayload } from 'durable-functions';
import { loadSettings } from '../../src/config/settings.js';
import { answerStart, type HttpStarterClient } from '../../src/orchestration/syncHttpAnswers.js';
import { startSync, syncInstanceId } from '../../src/orchestration/startSync.js';
import { Logger, type LogLevel } from '../../src/telemetry/logger.js';

// The singleton rule and the HTTP answers against a stand-in for the Durable client. A request
// without a function key never reaches this code: the host answers 401 for authLevel "function".

const now = new Date('2026-03-01T12:00:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);

/** Behaves like the extension for one instance id: status, start, terminate. */
class FakeClient implements HttpStarterClient {
  readonly calls: string[] = [];
  constructor(
    public status: { runtimeStatus: string; lastUpdatedTime: Date } | undefined,
    private readonly terminateLands = true,
  ) {}

  async getStatus(instanceId: string) {
    this.calls.push(`getStatus ${instanceId}`);
    if (this.status === undefined)
      throw new Error(
        'DurableClient error: Durable Functions extension replied with HTTP 404 response.',
      );
    return { instanceId, ...this.status } as unknown as DurableOrchestrationStatus;
  }

  async startNew(name: string, options?: { instanceId?: string; input?: unknown }) {
    this.calls.push(`startNew ${name} ${options?.instanceId} ${JSON.stringify(options?.input)}`);
    if (this.status !== undefined && ['Running', 'Pending'].includes(this.status.runtimeStatus))
      throw new Error('An instance with ID already exists');
    this.status = { runtimeStatus: 'Pending', lastUpdatedTime: now };
    return options?.instanceId ?? 'generated';
  }

  async terminate(instanceId: string, reason: string) {
    this.calls.push(`terminate ${instanceId} ${reason}`);
    if (this.terminateLands) this.status = { runtimeStatus: 'Terminated', lastUpdatedTime: now };
  }

  createCheckStatusResponse(_request: unknown, instanceId: string) {
    return { status: 202, jsonBody: this.createHttpManagementPayload(instanceId) } as never;
  }

  createHttpManagementPayload(instanceId: string): HttpManagementPayload {
    const base = `https://app/runtime/webhooks/durabletask/instances/${instanceId}`;
    return { id: instanceId, statusQueryGetUri: base } as HttpManagementPayload;
  }
}

function recorder() {
  const entries: { level: LogLevel; message: string }[] = [];
  return {
    entries,
    log: new Logger([(level, message) => entries.push({ level, message })], 'debug'),
  };
}

const startOptions = (log: Logger) => ({
  orchestrator: 'syncOrchestrator',
  staleAfterMinutes: 120,
  log,
  now: () => now,
  sleep: async () => {},
});

describe('starting a sync', () => {
  it('uses one fixed instance id per source', () => {
    assert.equal(syncInstanceId('vendor-a'), 'sync-vendor-a');
  });

  const cases: {
    state: string | undefined;
    idle: number;
    started: boolean;
    terminated: boolean;
  }[] = [
    { state: undefined, idle: 0, started: true, terminated: false },
    { state: 'Completed', idle: 5, started: true, terminated: false },
    { state: 'Failed', idle: 5, started: true, terminated: false },
    { state: 'Terminated', idle: 5, started: true, terminated: false },
    { state: 'Running', idle: 10, started: false, terminated: false },
    { state: 'Pending', idle: 119, started: false, terminated: false },
    { state: 'ContinuedAsNew', idle: 1, started: false, terminated: false },
    { state: 'Suspended', idle: 600, started: false, terminated: false },
    { state: 'Running', idle: 121, started: true, terminated: true },
    { state: 'Pending', idle: 500, started: true, terminated: true },
  ];
  for (const c of cases)
    it(`${c.started ? 'starts' : 'does not start'} when the instance is ${c.state ?? 'unknown'} and idle ${c.idle} min`, async () => {
      const status =
        c.state === undefined
          ? undefined
          : { runtimeStatus: c.state, lastUpdatedTime: minutesAgo(c.idle) };
      const client = new FakeClient(status);
      const { entries, log } = recorder();
      const outcome = await startSync(client, { source: 'vendor' }, startOptions(log));
      assert.equal(outcome.kind, c.started ? 'started' : 'running');
      assert.equal(
        client.calls.some((call) => call.startsWith('terminate')),
        c.terminated,
      );
      assert.equal(
        entries.some((e) => e.level === 'warn' && /stale/.test(e.message)),
        c.terminated,
      );
      if (c.started)
        assert.ok(
          client.calls.includes('startNew syncOrchestrator sync-vendor {"source":"vendor"}'),
        );
    });

  it('leaves a stale run alone when its termination has not landed yet', async () => {
    const client = new FakeClient(
      { runtimeStatus: 'Running', lastUpdatedTime: minutesAgo(300) },
      false,
    );
    const outcome = await startSync(client, { source: 'vendor' }, startOptions(recorder().log));
    assert.deepEqual(outcome, {
      kind: 'running',
      instanceId: 'sync-vendor',
      runtimeStatus: 'Running',
    });
    assert.equal(client.calls.filter((c) => c.startsWith('startNew')).length, 0);
  });

  it('reports the winner when another starter started the run first', async () => {
    const client = new FakeClient(undefined);
    client.startNew = async () => {
      client.status = { runtimeStatus: 'Running', lastUpdatedTime: now };
      throw new Error('An instance with ID sync-vendor already exists');
    };
    const outcome = await startSync(client, { source: 'vendor' }, startOptions(recorder().log));
    assert.equal(outcome.kind, 'running');
  });
});

describe('POST /api/sync', () => {
  const settings = loadSettings({
    FTP_HOST: 'ftp.example',
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    SOURCE_NAME: 'vendor',
  });
  const request = (body: string, headers: Record<string, string> = {}, query = '') => ({
    text: async () => body,
    headers: new Headers(headers),
    query: new URLSearchParams(query),
  });
  const answer = (
    client: FakeClient,
    body: string,
    headers?: Record<string, string>,
    query?: string,
  ) => answerStart(request(body, headers, query), client, { settings }, recorder().log);

  it('answers 202 with the status URLs and passes the options on', async () => {
    const client = new FakeClient(undefined);
    const response = await answer(client, JSON.stringify({ paths: ['daily'], force: true }));
    assert.equal(response.status, 202);
    assert.ok(
      client.calls.includes(
        'startNew syncOrchestrator sync-vendor {"source":"vendor","paths":["daily"],"force":true}',
      ),
    );
  });

  it('answers 409 with the running instance and its status URL', async () => {
    const client = new FakeClient({ runtimeStatus: 'Running', lastUpdatedTime: new Date() });
    const response = await answer(client, '');
    assert.equal(response.status, 409);
    const body = (response as { jsonBody: Record<string, string> }).jsonBody;
    assert.equal(body.instanceId, 'sync-vendor');
    assert.match(body.statusQueryGetUri, /instances\/sync-vendor$/);
  });

  const bad: [string, string, Record<string, string>?, string?][] = [
    ['{"paths": "daily"}', 'paths'],
    ['{"force": "yes"}', 'force'],
    ['{"dryrun": true}', 'dryrun'],
    ['{"paths": ["../etc"]}', '..'],
    ['not json', 'not JSON'],
    ['[]', 'body'],
    ['{}', 'larger than', { 'content-length': String(65 * 1024) }],
    [
      JSON.stringify({ paths: ['x'.repeat(1000)].concat(Array(70).fill('y'.repeat(1000))) }),
      'larger than',
    ],
    ['{}', 'Unknown source', {}, 'source=other'],
  ];
  for (const [body, reason, headers, query] of bad)
    it(`answers 400 naming "${reason}" for ${body.slice(0, 30)}`, async () => {
      const client = new FakeClient(undefined);
      const response = await answer(client, body, headers, query);
      assert.equal(response.status, 400);
      assert.ok(JSON.stringify((response as { jsonBody: unknown }).jsonBody).includes(reason));
      assert.equal(client.calls.length, 0, 'nothing is started');
    });
});

describe('POST /api/sync/{source} with several sources', () => {
  const settings = loadSettings({
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    SOURCES: JSON.stringify([
      { name: 'acme', ftp: { host: 'a' } },
      { name: 'beta', ftp: { host: 'b' } },
    ]),
  });
  const request = (params: Record<string, string>, query = '') => ({
    text: async () => '',
    headers: new Headers(),
    query: new URLSearchParams(query),
    params,
  });

  it('starts the source named in the route, under its own instance id', async () => {
    const client = new FakeClient(undefined);
    const response = await answerStart(
      request({ source: 'beta' }),
      client,
      { settings },
      recorder().log,
    );
    assert.equal(response.status, 202);
    assert.ok(client.calls.includes('startNew syncOrchestrator sync-beta {"source":"beta"}'));
  });

  it('answers 400 naming the sources when none is given', async () => {
    const client = new FakeClient(undefined);
    const response = await answerStart(request({}), client, { settings }, recorder().log);
    assert.equal(response.status, 400);
    assert.match(JSON.stringify((response as { jsonBody: unknown }).jsonBody), /acme, beta/);
    assert.equal(client.calls.length, 0);
  });

  it('answers 400 for a source that is not configured', async () => {
    const client = new FakeClient(undefined);
    const response = await answerStart(
      request({ source: 'gamma' }),
      client,
      { settings },
      recorder().log,
    );
    assert.equal(response.status, 400);
    assert.match(JSON.stringify((response as { jsonBody: unknown }).jsonBody), /Unknown source/);
  });
});
