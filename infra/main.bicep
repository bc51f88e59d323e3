// ftp-ingest: one Flex Consumption function app that copies a vendor's FTP tree into Blob
// Storage on a timer and processes each new blob when Event Grid reports it.
//
// Subscription scope so `azd up` can create the resource group itself (azd's convention).
// Every resource lives in modules; this file only names things and wires outputs to inputs.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name: names the resource group and tags every resource.')
param environmentName string

@minLength(1)
@description('Region for every resource. It must offer the Flex Consumption plan.')
param location string

@description('Vendor source name: prefixes every blob (<source>/<remote path>) and tags telemetry.')
@minLength(1)
@maxLength(63)
param sourceName string = 'default'

@description('FTP server host name or IP address. Empty when SOURCES describes the servers.')
param ftpHost string = ''

@description('FTP control port.')
@minValue(1)
@maxValue(65535)
param ftpPort int = 21

@description('FTP user name; empty with SOURCES. The password is never a parameter: see the README, "Deploying to Azure".')
param ftpUser string = ''

// Explicit FTPS by default: plain FTP sends the password in clear over the internet, so it
// should be a deliberate choice for a vendor that offers nothing else.
@description('false: plain FTP; explicit: AUTH TLS on the control port; implicit: TLS from the start.')
@allowed([
  'false'
  'explicit'
  'implicit'
])
param ftpSecure string = 'explicit'

@description('Remote folder whose tree is synced.')
param ftpRoot string = '/'

@description('Comma-separated globs (relative to the root) to include; empty means everything.')
param ftpInclude string = ''

@description('Comma-separated globs (relative to the root) to exclude.')
param ftpExclude string = ''

// The interval, not a cron expression, is the primary input because the "no run" alert needs
// a number of minutes and NCRONTAB cannot be turned back into one. Only values that divide an
// hour or a day evenly, so the derived schedule fires at a fixed interval.
@description('Minutes between sync runs. Drives the timer schedule and the missed-run alert.')
@allowed([
  5
  10
  15
  20
  30
  60
  120
  180
  240
  360
  480
  720
  1440
])
param syncIntervalMinutes int = 15

@description('Optional NCRONTAB (6 fields) overriding the derived schedule. Keep syncIntervalMinutes at its longest gap.')
param syncSchedule string = ''

@description('Email address for alerts; empty creates the action group without receivers.')
param alertEmail string = ''

// azd fills this with the signed-in principal, so whoever provisions can set and rotate the
// FTP password in the vault (RBAC vaults grant no data access to subscription owners).
@description('Object id granted Key Vault Secrets Officer on the vault; empty grants nothing.')
param operatorPrincipalId string = ''

// The subscription's AzureFunction endpoint is validated against the deployed function, which
// does not exist on the first provision: the postdeploy hook flips this and provisions again.
@description('Create the Event Grid subscription to processIncomingBlob (needs the code deployed).')
param deployEventSubscription bool = false

// Reviewed configuration like infra/source-formats.json: edit it in main.parameters.json.
@description('SOURCES entries (the README, "Many vendors in one app") for many vendors; empty: one source from ftpHost, ftpUser and the other ftp params.')
param sources array = []

@description('Optional app settings from the documented list (the README, "Deploying to Azure"), e.g. LOG_LEVEL.')
param extraAppSettings object = {}

// Off by default: the Functions host and the app's custom events both authenticate with Entra
// ID (the authentication string below makes the code pass the identity's credential), but that
// has not been checked on a real deployment; turn this on and confirm events still arrive.
@description('Reject telemetry that is not authenticated with Entra ID.')
param appInsightsLocalAuthDisabled bool = false

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var containers = {
  incoming: 'incoming'
  processed: 'processed'
  runs: 'ingest-runs'
  deadLetter: 'eventgrid-deadletter'
}
var processingFunctionName = 'processIncomingBlob'
// `*/1` hours is valid NCRONTAB, so 60 needs no case of its own.
var hourlySchedule = '0 0 */${syncIntervalMinutes / 60} * * *'
var derivedSchedule = syncIntervalMinutes < 60 ? '0 */${syncIntervalMinutes} * * * *' : (syncIntervalMinutes == 1440 ? '0 0 0 * * *' : hourlySchedule)
var effectiveSchedule = empty(syncSchedule) ? derivedSchedule : syncSchedule

resource rg 'Microsoft.Resources/resourceGroups@2021-04-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    workspaceName: 'log-${resourceToken}'
    appInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
    localAuthDisabled: appInsightsLocalAuthDisabled
  }
}

module hostStorage 'modules/hostStorage.bicep' = {
  name: 'hostStorage'
  scope: rg
  params: {
    name: 'sthost${resourceToken}'
    location: location
    tags: tags
  }
}

module dataStorage 'modules/dataStorage.bicep' = {
  name: 'dataStorage'
  scope: rg
  params: {
    name: 'stdata${resourceToken}'
    location: location
    tags: tags
    containerNames: [
      containers.incoming
      containers.processed
      containers.runs
      containers.deadLetter
    ]
  }
}

module keyVault 'modules/keyVault.bicep' = {
  name: 'keyVault'
  scope: rg
  params: {
    name: 'kv-${resourceToken}'
    location: location
    tags: tags
  }
}

module roles 'modules/roleAssignments.bicep' = {
  name: 'roleAssignments'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    hostStorageName: hostStorage.outputs.name
    dataStorageName: dataStorage.outputs.name
    keyVaultName: keyVault.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    operatorPrincipalId: operatorPrincipalId
  }
}

module functionApp 'modules/functionApp.bicep' = {
  name: 'functionApp'
  scope: rg
  // The host reads its storage through the identity at start-up: grant before it starts.
  dependsOn: [
    roles
  ]
  params: {
    planName: 'plan-${resourceToken}'
    appName: 'func-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    hostStorageName: hostStorage.outputs.name
    deploymentContainerUrl: hostStorage.outputs.deploymentContainerUrl
    dataBlobEndpoint: dataStorage.outputs.blobEndpoint
    appInsightsConnectionString: monitoring.outputs.connectionString
    ftpPasswordSecretUri: keyVault.outputs.ftpPasswordSecretUri
    keyVaultUri: keyVault.outputs.uri
    sources: sources
    sourceName: sourceName
    ftpHost: ftpHost
    ftpPort: ftpPort
    ftpUser: ftpUser
    ftpSecure: ftpSecure
    ftpRoot: ftpRoot
    ftpInclude: ftpInclude
    ftpExclude: ftpExclude
    syncSchedule: effectiveSchedule
    incomingContainer: containers.incoming
    processedContainer: containers.processed
    runsContainer: containers.runs
    extraAppSettings: extraAppSettings
  }
}

module events 'modules/events.bicep' = {
  name: 'events'
  scope: rg
  params: {
    topicName: 'evgt-${resourceToken}'
    location: location
    tags: tags
    dataStorageName: dataStorage.outputs.name
    incomingContainer: containers.incoming
    deadLetterContainer: containers.deadLetter
    deploySubscription: deployEventSubscription
    functionAppName: functionApp.outputs.name
    functionName: processingFunctionName
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    namePrefix: 'ftp-ingest-${environmentName}'
    location: location
    tags: tags
    appInsightsName: monitoring.outputs.appInsightsName
    alertEmail: alertEmail
    sourceNames: empty(sources) ? [sourceName] : map(sources, source => source.name)
    missedRunAfterMinutes: 2 * syncIntervalMinutes
  }
}

module workbook 'modules/workbook.bicep' = {
  name: 'workbook'
  scope: rg
  params: {
    displayName: 'ftp-ingest (${environmentName})'
    location: location
    tags: tags
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

// azd stores these in the environment; the hooks and the README, "Operating ftp-ingest" use them.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_URL string = functionApp.outputs.url
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output FTP_PASSWORD_SECRET_NAME string = keyVault.outputs.ftpPasswordSecretName
output DATA_STORAGE_ACCOUNT_NAME string = dataStorage.outputs.name
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.appInsightsName
output SYNC_SCHEDULE_EFFECTIVE string = effectiveSchedule
