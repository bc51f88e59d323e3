import type { HttpRequest, HttpResponse, HttpResponseInit } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import type { Settings } from '../config/settings.js';
import { readLastRunSummary } from '../sync/runSummary.js';
import { sourcesOverview } from '../sync/sourcesOverview.js';
import { findSource, type SyncDeps } from '../sync/SyncDeps.js';
import type { Logger } from '../telemetry/logger.js';
import { startSync, type StarterClient } from './startSync.js';
import { maxBodyBytes, parseSyncBody } from './syncHttpBody.js';
import { syncOrchestratorName } from './syncOrchestrator.js';

/** The client calls the HTTP starter makes. */
export type HttpStarterClient = StarterClient &
  Pick<DurableClient, 'createCheckStatusResponse' | 'createHttpManagementPayload'>;

/** The request parts read here, so tests can pass a plain object. */
export type StartRequest = Pick<HttpRequest, 'text' | 'headers' | 'query'> & Partial<HttpRequest>;

/** The route's `{source}`, else `?source=`, else undefined; an empty one is no source. */
function requestedSource(request: Pick<HttpRequest, 'query'> & Partial<HttpRequest>) {
  return request.params?.source || request.query.get('source') || undefined;
}

/**
 * Answers `POST /api/sync/{source}`: 202 with the status URLs when a run started, 409 with the
 * running instance's id and status URL when one is active, 400 with the reason for a bad body
 * or an unknown source. Without a source it starts the only one; with several configured it
 * answers 400 naming them, rather than guess which vendor the caller meant.
 */
export async function answerStart(
  request: StartRequest,
  client: HttpStarterClient,
  runtime: { readonly settings: Settings },
  log: Logger,
): Promise<HttpResponse | HttpResponseInit> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > maxBodyBytes) return badRequest(`body is larger than ${maxBodyBytes} bytes`);
  const parsed = parseSyncBody(await request.text());
  if (!parsed.ok) return badRequest(parsed.reason);
  const requested = requestedSource(request);
  if (requested === undefined && runtime.settings.sources.length > 1) {
    const names = runtime.settings.sources.map((s) => s.name).join(', ');
    return badRequest(`Several sources are configured (${names}): POST /api/sync/{source}`);
  }
  let source: string;
  try {
    source = findSource(runtime.settings, requested).name;
  } catch (error) {
    return badRequest((error as Error).message);
  }

  const outcome = await startSync(
    client,
    { source, ...parsed.body },
    {
      orchestrator: syncOrchestratorName,
      staleAfterMinutes: runtime.settings.functions?.staleAfterMinutes,
      log,
    },
  );
  if (outcome.kind === 'started')
    return client.createCheckStatusResponse(request as HttpRequest, outcome.instanceId);
  const links = client.createHttpManagementPayload(outcome.instanceId);
  return {
    status: 409,
    jsonBody: {
      error: `A sync of source "${source}" is already ${outcome.runtimeStatus.toLowerCase()}`,
      instanceId: outcome.instanceId,
      runtimeStatus: outcome.runtimeStatus,
      statusQueryGetUri: links.statusQueryGetUri,
    },
  };
}

/**
 * Answers `GET /api/sync`: every source's last run and next due time. `GET /api/sync/{source}`
 * (or `?source=`): that source's full last run summary, or 404 before its first run.
 */
export async function answerSummary(
  request: Pick<HttpRequest, 'query'> & Partial<HttpRequest>,
  deps: SyncDeps,
  now: Date = new Date(),
): Promise<HttpResponseInit> {
  const requested = requestedSource(request);
  if (requested === undefined)
    return {
      status: 200,
      jsonBody: { sources: await sourcesOverview(deps, deps.settings.sources, now) },
    };
  let source: string;
  try {
    source = findSource(deps.settings, requested).name;
  } catch (error) {
    return badRequest((error as Error).message);
  }
  const summary = await readLastRunSummary(deps, source);
  if (summary === undefined)
    return { status: 404, jsonBody: { error: `Source "${source}" has no recorded run yet` } };
  return { status: 200, jsonBody: summary };
}

function badRequest(reason: string): HttpResponseInit {
  return { status: 400, jsonBody: { error: reason } };
}
