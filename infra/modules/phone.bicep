// The phone channel (channels/acs_phone.py, shared/phone/): Azure Communication Services (ACS) Call
// Automation in turn mode, the Azure AI services resource ACS speaks and recognizes with, and the Event
// Grid system topic that carries ACS's IncomingCall events.
// - ACS (`Microsoft.Communication/communicationServices`, location `global`, data at rest in
//   `dataLocation`). The app signs its Call Automation requests with the resource's access key
//   (ACS_CONNECTION_STRING), so local auth stays on and the app's identity needs no role on ACS: the
//   connection string goes straight into the app's Key Vault (never through a module output), read
//   through a Key Vault reference with the Key Vault Secrets User role rbac.bicep already grants.
// - ACS's own system-assigned identity gets Cognitive Services User on the AI services resource: that is
//   how Call Automation reaches a "connected" AI services resource ("Connect Azure AI services to Call
//   Automation": managed identity + that role; the resource needs a custom subdomain). The app passes the
//   resource's endpoint to answer_call (ACS_COGNITIVE_SERVICES_ENDPOINT); nobody uses keys on it, so its
//   local auth is off.
// - The system topic on ACS. Its IncomingCall subscription is not declared here: it delivers to the
//   function acs_incoming_call, which exists only once `azd deploy` has uploaded the code (Event Grid
//   refuses a subscription to a function that does not exist), so the api service's postdeploy hook
//   creates it (infra/hooks/acs_incoming_call.py).
//   https://learn.microsoft.com/azure/communication-services/concepts/call-automation/azure-communication-services-azure-cognitive-services-integration
//   https://learn.microsoft.com/azure/communication-services/how-tos/call-automation/secure-webhook-endpoint
param communicationServicesName string
param aiServicesName string
param systemTopicName string
@description('Region of the AI services resource (Azure AI Speech for the calls).')
param aiServicesLocation string = resourceGroup().location
param tags object = {}
@description('Where ACS keeps its data at rest (a geography such as United States, Europe, UK, Japan, Australia...).')
param dataLocation string = 'United States'
@description('Key Vault that receives the connection string secret.')
param keyVaultName string
@description('Name of the secret that holds the connection string (ACS_CONNECTION_STRING).')
param connectionStringSecretName string = 'acs-connection-string'

// Cognitive Services User (built-in role definition id).
var cognitiveServicesUserRoleId = 'a97b65f3-24c7-4388-baec-2e87135dc908'

resource communicationServices 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: communicationServicesName
  location: 'global'
  tags: tags
  identity: {
    type: 'SystemAssigned' // what the AI services role below is given to
  }
  properties: {
    dataLocation: dataLocation
  }
}

resource aiServices 'Microsoft.CognitiveServices/accounts@2023-05-01' = {
  name: aiServicesName
  location: aiServicesLocation
  tags: tags
  kind: 'AIServices' // multi-service: Azure AI Speech among them
  sku: {
    name: 'S0'
  }
  properties: {
    // Entra ID sign-in (ACS's managed identity) needs the custom subdomain endpoint.
    customSubDomainName: aiServicesName
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

resource acsCognitiveServicesUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(aiServices.id, communicationServices.id, cognitiveServicesUserRoleId)
  scope: aiServices
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', cognitiveServicesUserRoleId)
    principalId: communicationServices.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource connectionStringSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: keyVault
  name: connectionStringSecretName
  properties: {
    // endpoint=https://<name>.communication.azure.com/;accesskey=<key>
    value: communicationServices.listKeys().primaryConnectionString
  }
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: systemTopicName
  location: 'global' // the location of its source, ACS
  tags: tags
  properties: {
    source: communicationServices.id
    topicType: 'Microsoft.Communication.CommunicationServices'
  }
}

output communicationServicesName string = communicationServices.name
output communicationServicesId string = communicationServices.id
output hostName string = communicationServices.properties.hostName
// The `aud` of Call Automation's callback tokens (ACS_CALLBACK_AUDIENCE): the resource's immutable id,
// a GUID, not its ARM id.
output immutableResourceId string = communicationServices.properties.immutableResourceId
// https://<aiServicesName>.cognitiveservices.azure.com/ (ACS_COGNITIVE_SERVICES_ENDPOINT).
output aiServicesEndpoint string = aiServices.properties.endpoint
output aiServicesName string = aiServices.name
output systemTopicName string = systemTopic.name
// Versionless, so a Key Vault reference follows the secret's current version.
output connectionStringSecretUri string = connectionStringSecret.properties.secretUri
