// One user-assigned identity for everything the app touches. User-assigned rather than the
// site's own: its client id is known before the site exists, so the app settings, the Key
// Vault reference identity and the role assignments can all be created in one deployment.
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
