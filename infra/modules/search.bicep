// Azure AI Search for knowledge collections. Keys are off: the app signs in with its user-assigned
// identity, which gets Search Service Contributor (it creates the index from code on first write) and
// Search Index Data Contributor (it writes and queries documents).
param name string
param location string = resourceGroup().location
param tags object = {}
@allowed([
  'free'
  'basic'
  'standard'
])
param sku string = 'basic'
param principalId string

var roles = {
  searchServiceContributor: '7ca78c08-252a-4471-8644-bb5ff32d4ba0'
  searchIndexDataContributor: '8ebe5a00-799e-43f5-93ac-243d3dce84a7'
}

resource search 'Microsoft.Search/searchServices@2023-11-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: sku
  }
  properties: {
    replicaCount: 1
    partitionCount: 1
    hostingMode: 'default'
    publicNetworkAccess: 'enabled'
    disableLocalAuth: true
  }
}

resource roleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for roleId in [
  roles.searchServiceContributor
  roles.searchIndexDataContributor
]: {
  name: guid(search.id, principalId, roleId)
  scope: search
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

output name string = search.name
output endpoint string = 'https://${search.name}.search.windows.net'
