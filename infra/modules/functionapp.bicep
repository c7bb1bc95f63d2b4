// Flex Consumption plan + the Python function app. The host's storage connection is identity-based
// (AzureWebJobsStorage__accountName/__credential/__clientId); the deployment package is read from a blob
// container with the same user-assigned identity. Flex Consumption sets the runtime in
// functionAppConfig.runtime, so FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION are not app settings.
// App settings may be Key Vault references (@Microsoft.KeyVault(SecretUri=...)); the platform resolves them
// with the same user-assigned identity (keyVaultReferenceIdentity).
param planName string
param appName string
param location string = resourceGroup().location
param tags object = {}
param storageAccountName string
param deploymentContainerName string
param applicationInsightsName string
@description('Resource id of the user-assigned managed identity.')
param identityId string
@description('Client id of the user-assigned managed identity.')
param identityClientId string
param pythonVersion string = '3.11'
param maximumInstanceCount int = 100
param instanceMemoryMB int = 2048
@description('App settings added to the identity-based storage and monitoring settings (values may be Key Vault references).')
param appSettings object = {}
@description('Name of an app setting whose value is the app\'s own https URL (https://<default host name>), known only once the app exists; empty: none.')
param appUrlSettingName string = ''

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
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
    reserved: true // Linux
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: tags
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
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: pythonVersion
      }
    }
  }

  resource settings 'config' = {
    name: 'appsettings'
    // The app's URL is read from the site itself here (the settings are a child of it), not passed in:
    // the default host name exists only once the site does.
    properties: union(appSettings, empty(appUrlSettingName) ? {} : {
      '${appUrlSettingName}': 'https://${functionApp.properties.defaultHostName}'
    }, {
      // Functions host + Durable Functions task hub storage, signed in with the managed identity.
      AzureWebJobsStorage__accountName: storage.name
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      // DefaultAzureCredential in the app (shared/ storage clients) picks this user-assigned identity.
      AZURE_CLIENT_ID: identityClientId
      APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
    })
  }
}

output name string = functionApp.name
output id string = functionApp.id
output uri string = 'https://${functionApp.properties.defaultHostName}'
output defaultHostName string = functionApp.properties.defaultHostName
