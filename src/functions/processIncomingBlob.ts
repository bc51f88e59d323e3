import { app, type EventGridEvent } from '@azure/functions';
import { appRuntime, processorDeps } from '../orchestration/appRuntime.js';
import { handleBlobCreated, incomingBlobName } from '../orchestration/blobCreated.js';
import { processBlob } from '../records/processBlob.js';

// Record processing, fired by the storage account's BlobCreated events through an Event Grid
// subscription (infra/modules/events.bicep names this function). The event carries only the
// blob's identity, so a file of any size is streamed by the processor, never handed over as a
// Buffer the way a blob trigger's input would be. See the README, "The Azure Functions app".
app.eventGrid('processIncomingBlob', {
  handler: async (event: EventGridEvent, context) => {
    const { settings } = await appRuntime();
    const blobName = incomingBlobName(event, settings.incomingContainer);
    const source = settings.sources.find((s) => blobName?.startsWith(`${s.name}/`));
    if (blobName === undefined || source === undefined) {
      // Retrying cannot help an event for another container or an unconfigured source.
      context.warn('event ignored', { subject: event.subject, eventType: event.eventType });
      return;
    }
    const deps = await processorDeps(context, source.name);
    await handleBlobCreated(event, {
      incoming: deps.incoming,
      process: (name) => processBlob(deps, name),
      log: deps.log,
      telemetry: deps.telemetry,
    });
  },
});
