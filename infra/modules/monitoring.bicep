// Workspace-based Application Insights: classic resources are retired, and the workbook and
// alerts query the customEvents table through the component.
param workspaceName string
param appInsightsName string
param location string
param tags object
param localAuthDisabled bool

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: localAuthDisabled
  }
}

output appInsightsName string = appInsights.name
output connectionString string = appInsights.properties.ConnectionString
