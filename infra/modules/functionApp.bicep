// The function app on Flex Consumption. Flex takes the runtime and version from
// functionAppConfig and refuses FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION and
// WEBSITE_* content settings, so none of those appear below.
param planName string
param appName string
param location string
param tags object
param identityId string
param identityClientId string
param hostStorageName string
param deploymentContainerUrl string
param dataBlobEndpoint string
param appInsightsConnectionString string
param ftpPasswordSecretUri string
param keyVaultUri string
param sourceName string
param ftpHost string
param ftpPort int
param ftpUser string
param ftpSecure string
param ftpRoot string
param ftpInclude string
param ftpExclude string
param syncSchedule string
param incomingContainer string
param processedContainer string
param runsContainer string
param extraAppSettings object

// SOURCES entries (the README, "Many vendors in one app"); empty means one source from the single-source params.
param sources array

// Instances scale with Event Grid deliveries; FTP connections do not, because the singleton
// orchestrator bounds its own fan-out. 40 is the smallest ceiling the portal offers.
@description('Most instances Flex Consumption may run at once.')
param maximumInstanceCount int = 40

// Node 22: Node 20 left support in April 2026, and 24.17+ breaks FTPS session reuse.
var nodeVersion = '22'

// The name the code's STORAGE_CONNECTION points at: the Functions identity-connection
// convention (<name>__blobServiceUri, <name>__clientId) for the vendor data account.
var dataConnection = 'DataStorage'

// With SOURCES the single-source settings stay empty: the app refuses both at once.
var multiSource = !empty(sources)

// One versionless Key Vault reference per source that logs in, to its `ftp-password-<name>`
// secret: the setting name is the source name upper-cased with `-` as `_`, as src/config reads
// it. An anonymous source (no user, or `anonymous`) has no secret, so it gets no reference.
var sourcePasswords = toObject(
  filter(sources, source => (source.?ftp.?user ?? 'anonymous') != 'anonymous'),
  source => 'FTP_PASSWORD_${toUpper(replace(source.name, '-', '_'))}',
  source => '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/ftp-password-${source.name})'
)

// Every app setting. test/unit/infraSettings.test.ts parses the keys of this object and
// compares them with what src/config/settings.ts reads: keep it one flat object literal.
var appSettings = {
  // Host storage and the Durable task hub, through the identity (no keys exist).
  AzureWebJobsStorage__accountName: hostStorageName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  STORAGE_CONNECTION: dataConnection
  DataStorage__blobServiceUri: dataBlobEndpoint
  DataStorage__clientId: identityClientId
  INCOMING_CONTAINER: incomingContainer
  PROCESSED_CONTAINER: processedContainer
  RUNS_CONTAINER: runsContainer
  SOURCES: multiSource ? string(sources) : ''
  SOURCE_NAME: multiSource ? '' : sourceName
  // Record formats are reviewed configuration, not per-environment input: a JSON array kept
  // in infra/source-formats.json and compacted onto one line here.
  SOURCE_FORMATS: string(loadJsonContent('../source-formats.json'))
  FTP_HOST: multiSource ? '' : ftpHost
  FTP_PORT: multiSource ? '' : string(ftpPort)
  FTP_USER: multiSource ? '' : ftpUser
  // Versionless: the platform picks up a rotated secret without a redeploy.
  FTP_PASSWORD: multiSource ? '' : '@Microsoft.KeyVault(SecretUri=${ftpPasswordSecretUri})'
  FTP_SECURE: multiSource ? '' : ftpSecure
  FTP_ROOT: multiSource ? '' : ftpRoot
  FTP_INCLUDE: multiSource ? '' : ftpInclude
  FTP_EXCLUDE: multiSource ? '' : ftpExclude
  SYNC_SCHEDULE: syncSchedule
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  // azd finds the app to deploy service `api` by this tag.
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Without this the platform resolves Key Vault references with a system identity the
    // app does not have.
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      // The managed settings win over extras; the test also rejects any overlap.
      appSettings: [
        for item in items(union(extraAppSettings, sourcePasswords, appSettings)): {
          name: item.key
          value: item.value
        }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: 2048
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
  }
}

// azd deploys with an Entra ID token; publishing passwords would be a way around it.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = site.name
output url string = 'https://${site.properties.defaultHostName}'
