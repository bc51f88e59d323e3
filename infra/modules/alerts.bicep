// Log alerts on the custom events the app emits (customEvents in the Application Insights
// component). Each alert's meaning and response are in docs/operations.md.
param namePrefix string
param location string
param tags object
param appInsightsName string
param alertEmail string
param sourceName string

@description('Minutes without a SyncCompleted event after which a run counts as missed.')
param missedRunAfterMinutes int

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: '${namePrefix}-operators'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'ftpingest'
    enabled: true
    emailReceivers: empty(alertEmail) ? [] : [
      {
        name: 'operator'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

// Counters may arrive as measurements or as string dimensions depending on how the SDK maps
// them; read both so the queries survive either.
var failedRunQuery = '''
customEvents
| where name == 'SyncCompleted'
| extend failed = coalesce(toreal(customMeasurements.failed), toreal(customDimensions.failed))
| where failed > 0
| project timestamp, runId = tostring(customDimensions.runId), source = tostring(customDimensions.source), failed
'''

// summarize without `by` returns one row even over no events, so "never ran" alerts too.
var missedRunQueryTemplate = '''
customEvents
| where name == 'SyncCompleted' and tostring(customDimensions.source) == '{source}'
| where tostring(customDimensions.dryRun) != 'true'
| summarize lastRun = max(timestamp)
| where isnull(lastRun) or lastRun < ago({minutes}m)
'''
var missedRunQuery = replace(replace(missedRunQueryTemplate, '{source}', sourceName), '{minutes}', string(missedRunAfterMinutes))

var failedFileQuery = '''
customEvents
| where name == 'FileFailed'
| project timestamp, stage = tostring(customDimensions.stage), errorCode = tostring(customDimensions.errorCode), blobName = tostring(customDimensions.blobName), runId = tostring(customDimensions.runId)
'''

// The query must see back past the missed-run threshold, or an older run looks like none.
var missedRunWindow = missedRunAfterMinutes <= 360 ? 'PT6H' : (missedRunAfterMinutes <= 1440 ? 'P1D' : 'P2D')

var rules = [
  {
    name: 'failed-run'
    displayName: 'ftp-ingest: a sync run had failed files'
    description: 'A SyncCompleted event reported failed > 0. See "Alerts" in docs/operations.md.'
    severity: 2
    query: failedRunQuery
    frequency: 'PT5M'
    window: 'PT15M'
  }
  {
    name: 'missed-run'
    displayName: 'ftp-ingest: no sync run for ${missedRunAfterMinutes} minutes'
    description: 'No SyncCompleted event for source ${sourceName} within twice the schedule interval.'
    severity: 1
    query: missedRunQuery
    frequency: 'PT15M'
    window: missedRunWindow
  }
  {
    name: 'failed-file'
    displayName: 'ftp-ingest: a file failed processing'
    description: 'A FileFailed event: a file failed for good in transfer or processing.'
    severity: 3
    query: failedFileQuery
    frequency: 'PT15M'
    window: 'PT15M'
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for rule in rules: {
    name: '${namePrefix}-${rule.name}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [
        appInsights.id
      ]
      evaluationFrequency: rule.frequency
      windowSize: rule.window
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: 0
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      // Stateful: one notification per incident, resolved when the query comes back empty.
      autoMitigate: true
      actions: {
        actionGroups: [
          actionGroup.id
        ]
      }
    }
  }
]
