// What the tool-socket worker's container app (toolsockets.bicep) stands on, deployed before the function
// app so the app's settings can name the worker: a Container Apps environment (Consumption) logging to the
// existing Log Analytics workspace (monitoring.bicep), an Azure Container Registry that azd pushes the
// `toolsockets` image to (AcrPull for the user-assigned identity the container app pulls with), and in
// the existing vault the secret `omni-tool-sockets-secret`: the bearer both sides use
// (OMNI_TOOL_SOCKETS_SECRET). The worker's URL is https://<app name>.<defaultDomain> (external ingress),
// which main.bicep computes from the output `defaultDomain` before the container app exists: no cycle.
param environmentName string
param registryName string
param location string = resourceGroup().location
param tags object = {}
@description('Name of the Log Analytics workspace of monitoring.bicep.')
param logAnalyticsName string
@description('Principal id of the user-assigned identity (AcrPull on the registry).')
param principalId string
param keyVaultName string
param toolSocketsSecretName string = 'omni-tool-sockets-secret'
@secure()
@description('Value of OMNI_TOOL_SOCKETS_SECRET: 32+ random characters.')
param toolSocketsSecret string

var acrPullRoleId = '7f951dda-4ed3-4680-a7ca-43fe172d538d'

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: logAnalyticsName
}

resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: environmentName
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: logAnalytics.properties.customerId
        sharedKey: logAnalytics.listKeys().primarySharedKey
      }
    }
  }
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: registryName
  location: location
  tags: tags
  sku: {
    name: 'Basic'
  }
  properties: {
    // Pulls sign in with the identity; azd pushes with the deploying user's Entra ID token.
    adminUserEnabled: false
    publicNetworkAccess: 'Enabled'
  }
}

resource acrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, principalId, acrPullRoleId)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPullRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource toolSocketsSecretValue 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: toolSocketsSecretName
  properties: {
    value: toolSocketsSecret
  }
}

output environmentId string = environment.id
output environmentName string = environment.name
// <random words>.<region>.azurecontainerapps.io: an external app's fqdn is <app name>.<defaultDomain>.
output defaultDomain string = environment.properties.defaultDomain
output registryName string = registry.name
output registryLoginServer string = registry.properties.loginServer
// Versionless: the function app's Key Vault reference and the container app's secret follow the current version.
output secretUri string = toolSocketsSecretValue.properties.secretUri
