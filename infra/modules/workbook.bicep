// The operations dashboard: an Application Insights workbook over the app's custom events.
// Its layout lives in workbook.json beside this file so it can be edited in the portal's
// Advanced Editor and pasted back; here it is only pointed at this environment's component.
param displayName string
param location string
param tags object
param appInsightsName string

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

var layout = loadJsonContent('workbook.json')

resource workbook 'Microsoft.Insights/workbooks@2022-04-01' = {
  // Workbook names must be GUIDs; derive one so re-provisioning updates rather than adds.
  name: guid(resourceGroup().id, appInsightsName, 'ftp-ingest-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    sourceId: appInsights.id
    serializedData: string(union(layout, { fallbackResourceIds: [ appInsights.id ] }))
  }
}
