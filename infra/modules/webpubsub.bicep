// Azure Web PubSub: the WebSocket channel's service. The app signs client access tokens and checks the
// ce-signature of events with the service's AccessKey, so local auth (access keys) stays on. The
// connection string goes straight into the app's Key Vault as a secret (never through a module output);
// the app reads it through a Key Vault reference. The hub and its event handler are in
// webpubsub-hub.bicep, deployed after the function app whose host name they need.
param name string
param location string = resourceGroup().location
param tags object = {}
@description('Free_F1: trial quotas, one unit. Standard_S1: production.')
@allowed([
  'Free_F1'
  'Standard_S1'
])
param sku string = 'Free_F1'
@description('Key Vault that receives the connection string secret.')
param keyVaultName string
@description('Name of the secret that holds the connection string (WEBPUBSUB_CONNECTION_STRING).')
param connectionStringSecretName string = 'webpubsub-connection-string'

resource webPubSub 'Microsoft.SignalRService/webPubSub@2024-03-01' = {
  name: name
  location: location
  tags: tags
  kind: 'WebPubSub'
  sku: {
    name: sku
    capacity: 1
  }
  properties: {
    // The app uses the AccessKey of the connection string: keep local auth on.
    disableLocalAuth: false
    publicNetworkAccess: 'Enabled'
  }
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource connectionStringSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: keyVault
  name: connectionStringSecretName
  properties: {
    value: webPubSub.listKeys().primaryConnectionString
  }
}

output name string = webPubSub.name
output id string = webPubSub.id
output hostName string = webPubSub.properties.hostName
// Versionless, so a Key Vault reference follows the secret's current version.
output connectionStringSecretUri string = connectionStringSecret.properties.secretUri
