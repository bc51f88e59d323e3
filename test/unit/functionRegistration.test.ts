import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { settingNames } from '../../src/config/settings.js';
import {
  installFunctionsCore,
  triggerOf,
  type RegisteredFunction,
} from '../helpers/functionsHost.js';

// Loads the built app the way the Node worker does: every file matched by package.json's
// `main` glob, with registrations going to a stand-in of the worker's core API.

const root = fileURLToPath(new URL('../../../', import.meta.url));
let registered: ReadonlyMap<string, RegisteredFunction>;

async function readJson<T>(name: string): Promise<T> {
  return JSON.parse(await readFile(`${root}${name}`, 'utf8')) as T;
}

before(async () => {
  registered = installFunctionsCore();
  const { main } = await readJson<{ main: string }>('package.json');
  const match = /^(.*)\/\*\.js$/.exec(main);
  assert.ok(match !== null, `main is a glob of .js files: ${main}`);
  const { readdir } = await import('node:fs/promises');
  const files = (await readdir(`${root}${match[1]}`)).filter((f) => f.endsWith('.js')).sort();
  for (const file of files) await import(pathToFileURL(`${root}${match[1]}/${file}`).href);
});

const expected: Record<string, string> = {
  syncTimer: 'timerTrigger',
  syncStart: 'httpTrigger',
  syncLastRun: 'httpTrigger',
  syncOrchestrator: 'orchestrationTrigger',
  syncPlan: 'activityTrigger',
  syncTransferBatch: 'activityTrigger',
  syncRecordSummary: 'activityTrigger',
  processIncomingBlob: 'eventGridTrigger',
};

const fn = (name: string) => {
  const found = registered.get(name);
  assert.ok(found !== undefined, `${name} is registered`);
  return found;
};

const hasDurableClient = (f: RegisteredFunction) =>
  Object.values(f.bindings).some((b) => b.type === 'durableClient' && b.direction === 'in');

describe('function registration', () => {
  it('registers exactly the expected functions with their triggers', () => {
    assert.deepEqual([...registered.keys()].sort(), Object.keys(expected).sort());
    for (const [name, type] of Object.entries(expected))
      assert.equal(triggerOf(fn(name)).type, type, name);
  });

  it('schedules the timer from the SYNC_SCHEDULE setting, never on startup', () => {
    const trigger = triggerOf(fn('syncTimer'));
    assert.equal(trigger.schedule, '%SYNC_SCHEDULE%');
    assert.equal(trigger.runOnStartup, false);
    assert.ok(hasDurableClient(fn('syncTimer')));
  });

  it('serves POST and GET /api/sync behind a function key', () => {
    const start = triggerOf(fn('syncStart'));
    const last = triggerOf(fn('syncLastRun'));
    const route = 'sync/{source?}';
    assert.deepEqual([start.route, start.methods, start.authLevel], [route, ['POST'], 'function']);
    assert.deepEqual([last.route, last.methods, last.authLevel], [route, ['GET'], 'function']);
    assert.ok(hasDurableClient(fn('syncStart')));
  });

  it('names the processing function as the Event Grid subscription in infra does', async () => {
    const main = await readFile(`${root}infra/main.bicep`, 'utf8').catch(() => '');
    if (main === '') return;
    assert.match(main, /processingFunctionName = 'processIncomingBlob'/);
  });

  it('ships a host.json with the bundle, singleton guard and concurrency limits', async () => {
    const host = await readJson<{
      extensionBundle: { version: string };
      extensions: { durableTask: Record<string, unknown> };
      functionTimeout: string;
    }>('host.json');
    assert.equal(host.extensionBundle.version, '[4.*, 5.0.0)');
    assert.equal(host.extensions.durableTask.overridableExistingInstanceStates, 'NonRunningStates');
    assert.equal(typeof host.extensions.durableTask.maxConcurrentActivityFunctions, 'number');
    assert.equal(typeof host.extensions.durableTask.maxConcurrentOrchestratorFunctions, 'number');
    assert.match(host.functionTimeout, /^\d\d:\d\d:\d\d$/);
  });

  it('lists every setting the app reads in local.settings.sample.json', async () => {
    const sample = await readJson<{ Values: Record<string, string> }>('local.settings.sample.json');
    // `FTP_PASSWORD_<NAME>` is one setting per source in SOURCES, which the sample leaves unset.
    const concrete = settingNames.filter((name) => !name.includes('<'));
    const missing = concrete.filter((name) => !(name in sample.Values));
    assert.deepEqual(missing, []);
    assert.equal(sample.Values.AzureWebJobsStorage, 'UseDevelopmentStorage=true');
  });
});
