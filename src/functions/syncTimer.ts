import * as df from 'durable-functions';
import { appRuntime, invocationLogger } from '../orchestration/appRuntime.js';
import { startSync } from '../orchestration/startSync.js';
import { syncOrchestratorName } from '../orchestration/syncOrchestrator.js';

// Scheduled runs. `%SYNC_SCHEDULE%` is an NCRONTAB expression with seconds, read by the host
// from the app setting (the sample uses "0 */15 * * * *", every 15 minutes); the host refuses to
// index this function when the setting is missing. No run on startup: a deployment or a
// scale-out would otherwise start an unscheduled sync.
df.app.client.timer('syncTimer', {
  schedule: '%SYNC_SCHEDULE%',
  runOnStartup: false,
  handler: async (_timer, client, context) => {
    const runtime = await appRuntime();
    const log = invocationLogger(runtime, context);
    for (const source of runtime.settings.sources) {
      const outcome = await startSync(
        client,
        { source: source.name },
        {
          orchestrator: syncOrchestratorName,
          staleAfterMinutes: runtime.settings.functions?.staleAfterMinutes,
          log,
        },
      );
      if (outcome.kind === 'running')
        log.info({ source: source.name, ...outcome }, 'previous sync still running: skipped');
    }
  },
});
