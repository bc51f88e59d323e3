// Log alerts on the custom events the app emits (customEvents in the Application Insights
// component). Each alert's meaning and response are in the README, "Operating ftp-ingest".
param namePrefix string
param location string
param tags object
param appInsightsName string
param alertEmail string
@description('Every source name; each gets its own missed-run row and alert dimension.')
param sourceNames array

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
| extend errorCode = tostring(customDimensions.errorCode)
| where failed > 0 or isnotempty(errorCode)
| project timestamp, runId = tostring(customDimensions.runId), source = tostring(customDimensions.source), failed, errorCode
'''

// Starts from the configured names, not from the events, so a source that never ran (or
// stopped reporting altogether) still yields a row.
var missedRunQueryTemplate = '''
let seen = customEvents
| where name == 'SyncCompleted' and tostring(customDimensions.dryRun) != 'true'
| summarize lastRun = max(timestamp) by source = tostring(customDimensions.source);
print source = dynamic({sources})
| mv-expand source to typeof(string)
| join kind=leftouter seen on source
| where isnull(lastRun) or lastRun < ago({minutes}m)
| project source, lastRun
'''
var missedRunQuery = replace(replace(missedRunQueryTemplate, '{sources}', string(sourceNames)), '{minutes}', string(missedRunAfterMinutes))

var failedFileQuery = '''
customEvents
| where name == 'FileFailed'
| project timestamp, source = tostring(customDimensions.source), stage = tostring(customDimensions.stage), errorCode = tostring(customDimensions.errorCode), blobName = tostring(customDimensions.blobName), runId = tostring(customDimensions.runId)
'''

// The query must see back past the missed-run threshold, or an older run looks like none.
var missedRunWindow = missedRunAfterMinutes <= 360 ? 'PT6H' : (missedRunAfterMinutes <= 1440 ? 'P1D' : 'P2D')

var rules = [
  {
    name: 'failed-run'
    displayName: 'ftp-ingest: a sync run had failed files'
    description: 'A SyncCompleted event reported failed > 0. See "Alerts" under "Operating ftp-ingest" in the README.'
    severity: 2
    query: failedRunQuery
    frequency: 'PT5M'
    window: 'PT15M'
  }
  {
    name: 'missed-run'
    displayName: 'ftp-ingest: no sync run for ${missedRunAfterMinutes} minutes'
    description: 'A source had no SyncCompleted event within twice the schedule interval.'
    severity: 1
    query: missedRunQuery
    frequency: 'PT15M'
    window: missedRunWindow
  }
  {
    name: 'failed-file'
    displayName: 'ftp-ingest: a file failed (transfer or processing)'
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
            // One alert per source: a failing vendor neither hides nor is hidden by another.
            dimensions: [
              {
                name: 'source'
                operator: 'Include'
                values: [
                  '*'
                ]
              }
            ]
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
