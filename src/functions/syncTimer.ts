import * as df from 'durable-functions';
import { appRuntime, invocationLogger } from '../orchestration/appRuntime.js';
import { startDueSources } from '../orchestration/startDueSources.js';
import { syncOrchestratorName } from '../orchestration/syncOrchestrator.js';

// Scheduled runs. `%SYNC_SCHEDULE%` is an NCRONTAB expression with seconds, read by the host
// from the app setting (the sample uses "0 */15 * * * *", every 15 minutes); the host refuses to
// index this function when the setting is missing. Each tick starts the sources whose own
// schedule fell due since the previous tick (the README, "Many vendors in one app"). No run on startup: a deployment
// or a scale-out would otherwise start an unscheduled sync.
df.app.client.timer('syncTimer', {
  schedule: '%SYNC_SCHEDULE%',
  runOnStartup: false,
  handler: async (timer, client, context) => {
    const runtime = await appRuntime();
    const log = invocationLogger(runtime, context);
    const starts = await startDueSources(
      client,
      runtime.settings,
      { now: new Date(), last: timer.scheduleStatus?.last },
      {
        orchestrator: syncOrchestratorName,
        staleAfterMinutes: runtime.settings.functions?.staleAfterMinutes,
        log,
      },
    );
    const failed = starts.filter((start) => start.kind === 'failed');
    if (failed.length > 0)
      throw new Error(
        `Starting the sync failed for ${failed.map((f) => `${f.source} (${f.error})`).join(', ')}`,
      );
  },
});
