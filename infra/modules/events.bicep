// BlobCreated events for the incoming container, delivered to the processing function.
// Flex Consumption has no polling blob trigger, and an Event Grid trigger hands the function
// only the blob's identity, so it can stream files of any size itself.
param topicName string
param location string
param tags object
param dataStorageName string
param incomingContainer string
param deadLetterContainer string
param deploySubscription bool
param functionAppName string
param functionName string

var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource dataStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: dataStorageName
}

resource deadLetters 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  name: '${dataStorageName}/default/${deadLetterContainer}'
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

// Created on the first provision (it needs no code) so the subscription below is the only
// thing that waits for the deployment. Its identity writes dead letters.
resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: topicName
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: dataStorage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

// Scoped to the one container, not the account: the topic must not read vendor data.
resource deadLetterAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deadLetters.id, topicName, storageBlobDataContributor)
  scope: deadLetters
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: topic.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// AzureFunction endpoint: Event Grid calls the function by resource id, so no system key
// is copied into the subscription; the price is that the function must already exist.
resource incomingSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = if (deploySubscription) {
  parent: topic
  name: 'incoming-to-${toLower(functionName)}'
  dependsOn: [
    deadLetterAccess
  ]
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${functionApp.id}/functions/${functionName}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.Storage.BlobCreated'
      ]
      subjectBeginsWith: '/blobServices/default/containers/${incomingContainer}/'
      isSubjectCaseSensitive: true
    }
    eventDeliverySchema: 'EventGridSchema'
    // A day of retries rides out a redeploy or a host outage; after that the event waits in
    // the dead-letter container until `ftp-ingest process <blob>` (the README, "Operating ftp-ingest").
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: dataStorage.id
          blobContainerName: deadLetterContainer
        }
      }
    }
  }
}

output topicName string = topic.name
