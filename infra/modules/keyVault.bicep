// The vault that holds the FTP password. It creates no secret: the password is set once
// with `az keyvault secret set` after provisioning (the README, "Deploying to Azure" explains why), and the
// app reads it through a versionless reference so a rotation needs no redeploy.
param name string
param location string
param tags object

var ftpPasswordSecretName = 'ftp-password'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    // RBAC, not access policies: access is granted and audited like every other role here.
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    // No purge protection: `azd down --purge` must be able to free the name, and the only
    // secret here is one the vendor can re-issue.
    publicNetworkAccess: 'Enabled'
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
output ftpPasswordSecretName string = ftpPasswordSecretName
output ftpPasswordSecretUri string = '${vault.properties.vaultUri}secrets/${ftpPasswordSecretName}'
