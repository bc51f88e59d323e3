import type { InvocationContext } from '@azure/functions';
import type { Secret } from '../config/Secret.js';
import type { RunSummary } from '../sync/runSummary.js';
import type { LogSink } from './logger.js';

/** Where an entry happened; every event and metric carries all four (empty when not known). */
export interface TelemetryScope {
  readonly runId: string;
  readonly source: string;
  readonly ftpPath?: string;
  readonly blobName?: string;
}

/** The part of the Application Insights client this module uses; tests pass a recorder. */
export interface TelemetryClientLike {
  trackEvent(event: {
    name: string;
    properties?: Record<string, string>;
    measurements?: Record<string, number>;
  }): void;
  trackMetric(metric: { name: string; value: number; properties?: Record<string, string> }): void;
  flush(): Promise<void> | void;
}

/** Custom events of ftp-ingest, as they appear in `customEvents`. */
export type TelemetryEventName =
  'FileTransferred' | 'FileProcessed' | 'FileFailed' | 'SyncCompleted';

/** Metric names, as they appear in `customMetrics`. */
export const metricNames = {
  bytes: 'ftp-ingest.bytes',
  duration: 'ftp-ingest.durationMs',
  records: 'ftp-ingest.records',
} as const;

/** Custom events and metrics; every method is a no-op when telemetry is not configured. */
export class Telemetry {
  constructor(private readonly client: TelemetryClientLike | undefined) {}

  /** True when entries are sent somewhere. */
  get enabled(): boolean {
    return this.client !== undefined;
  }

  /** A file was committed (or its stored time was touched). */
  fileTransferred(scope: TelemetryScope, bytes: number, durationMs: number, outcome: string): void {
    this.event('FileTransferred', scope, { outcome }, { bytes, durationMs });
    this.metric(metricNames.bytes, bytes, scope);
    this.metric(metricNames.duration, durationMs, scope, { stage: 'transfer' });
  }

  /** The records of a blob were processed; `times` are its ingested/processed instants. */
  fileProcessed(
    scope: TelemetryScope,
    records: number,
    durationMs: number,
    status: string,
    times: { readonly ingestedAt?: string; readonly processedAt?: string } = {},
  ): void {
    const properties = {
      status,
      ingestedAt: times.ingestedAt ?? '',
      processedAt: times.processedAt ?? '',
    };
    this.event('FileProcessed', scope, properties, { records, durationMs });
    this.metric(metricNames.records, records, scope);
    this.metric(metricNames.duration, durationMs, scope, { stage: 'process' });
  }

  /** A file failed for good in one stage; transient faults are not reported here. */
  fileFailed(scope: TelemetryScope, stage: 'transfer' | 'process', code: string, error: string) {
    this.event('FileFailed', scope, { stage, errorCode: code, error: error.slice(0, 1000) }, {});
  }

  /** A run finished; the scope's blob name is the summary blob. */
  syncCompleted(summary: RunSummary, summaryBlob: string): void {
    const scope = { runId: summary.runId, source: summary.source, blobName: summaryBlob };
    const { listed, transferred, touched, failed, bytes, durationMs } = summary;
    // `files` is what the workbook charts: files moved as new versions.
    const counts = { listed, files: transferred, transferred, touched, failed, bytes, durationMs };
    // errorCode is set when the run itself failed (no listing), which `failed` does not count.
    const properties = { dryRun: String(summary.dryRun), errorCode: summary.error?.code ?? '' };
    this.event('SyncCompleted', scope, properties, counts);
    this.metric(metricNames.bytes, bytes, scope, { stage: 'run' });
    this.metric(metricNames.duration, durationMs, scope, { stage: 'run' });
  }

  /** Sends what is buffered; call before an invocation ends so nothing is lost on scale-in. */
  async flush(): Promise<void> {
    await this.client?.flush();
  }

  private event(
    name: TelemetryEventName,
    scope: TelemetryScope,
    properties: Record<string, string>,
    measurements: Record<string, number>,
  ): void {
    this.client?.trackEvent({
      name,
      properties: { ...propertiesOf(scope), ...properties },
      measurements,
    });
  }

  private metric(name: string, value: number, scope: TelemetryScope, extra = {}): void {
    this.client?.trackMetric({ name, value, properties: { ...propertiesOf(scope), ...extra } });
  }
}

function propertiesOf(scope: TelemetryScope): Record<string, string> {
  return {
    runId: scope.runId,
    source: scope.source,
    ftpPath: scope.ftpPath ?? '',
    blobName: scope.blobName ?? '',
  };
}

/** Telemetry that drops everything, for the CLI and tests. */
export const disabledTelemetry = new Telemetry(undefined);

/** Where telemetry goes: a connection string, and the identity when local auth is off. */
export interface TelemetryTarget {
  readonly connectionString?: Secret;
  /** Managed identity client id for Entra auth; `''` for the system-assigned identity. */
  readonly identityClientId?: string;
}

/**
 * Telemetry for this target, or the disabled one without a connection string. The SDK is loaded
 * only when needed: it pulls in OpenTelemetry, which the CLI and most tests never use. Its own
 * client, not the global providers, so the Functions host's auto-collection is left alone.
 */
export async function createTelemetry(target: TelemetryTarget): Promise<Telemetry> {
  if (target.connectionString === undefined) return disabledTelemetry;
  const { TelemetryClient } = await import('applicationinsights');
  const client = new TelemetryClient(target.connectionString.reveal(), {
    useGlobalProviders: false,
  });
  if (target.identityClientId !== undefined) {
    // The resource rejects key-only ingestion when local auth is disabled (as infra sets it).
    const { ManagedIdentityCredential } = await import('@azure/identity');
    client.config.aadTokenCredential =
      target.identityClientId === ''
        ? new ManagedIdentityCredential()
        : new ManagedIdentityCredential({ clientId: target.identityClientId });
  }
  return new Telemetry(client);
}

/** Sends the Logger's entries to a Functions invocation, fields as a second argument. */
export function invocationLogSink(context: InvocationContext): LogSink {
  return (level, message, fields) => {
    const args = Object.keys(fields).length === 0 ? [message] : [message, fields];
    if (level === 'debug') context.debug(...args);
    else if (level === 'info') context.info(...args);
    else if (level === 'warn') context.warn(...args);
    else context.error(...args);
  };
}
