import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import * as df from 'durable-functions';
import { appRuntime, invocationLogger } from '../orchestration/appRuntime.js';
import { answerStart, answerSummary } from '../orchestration/syncHttpAnswers.js';

// POST /api/sync/{source} starts a run of that source now (POST /api/sync: the only source);
// GET /api/sync lists every source's last run and next due time, GET /api/sync/{source} returns
// that source's last run summary.
// authLevel "function": the host answers 401 to a request without a function or host key
// before any code here runs.

df.app.client.http('syncStart', {
  route: 'sync/{source?}',
  methods: ['POST'],
  authLevel: 'function',
  handler: async (request: HttpRequest, client, context) => {
    const runtime = await appRuntime();
    return answerStart(request, client, runtime, invocationLogger(runtime, context));
  },
});

app.http('syncLastRun', {
  route: 'sync/{source?}',
  methods: ['GET'],
  authLevel: 'function',
  handler: async (request: HttpRequest): Promise<HttpResponseInit> => {
    const runtime = await appRuntime();
    return answerSummary(request, runtime.deps);
  },
});
