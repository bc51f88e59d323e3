import * as df from 'durable-functions';
import { activityDeps } from '../orchestration/appRuntime.js';
import {
  planActivity,
  recordSummaryActivity,
  transferBatchActivity,
} from '../orchestration/syncActivities.js';
import { createSyncOrchestrator, syncOrchestratorName } from '../orchestration/syncOrchestrator.js';
import type {
  PlanActivityInput,
  RecordSummaryInput,
  TransferBatchInput,
} from '../orchestration/syncTypes.js';

// The sync workflow: its activities, each registered once beside its handler, and the
// orchestrator that calls them through the handles the registrations return.

const plan = df.app.activity('syncPlan', {
  handler: async (input: PlanActivityInput, context) =>
    planActivity(await activityDeps(context), input),
});

const transferBatch = df.app.activity('syncTransferBatch', {
  handler: async (input: TransferBatchInput, context) =>
    transferBatchActivity(await activityDeps(context), input),
});

const recordSummary = df.app.activity('syncRecordSummary', {
  handler: async (input: RecordSummaryInput, context) =>
    recordSummaryActivity(await activityDeps(context), input),
});

df.app.orchestration(
  syncOrchestratorName,
  createSyncOrchestrator({ plan, transferBatch, recordSummary }),
);
