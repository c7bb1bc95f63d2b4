// Omniagent platform on Azure: one Python function app (Flex Consumption) with a user-assigned managed
// identity and identity-based storage (shared keys off), modelled on the Durable Functions Flex
// Consumption azd quickstart. `azd up` provisions this file, then deploys the app. The app's secrets key,
// the Web PubSub connection string and the Marketplace app's client secret live in Key Vault and reach the
// app as Key Vault references. Knowledge is indexed in Azure AI Search, reached with the app's identity.
// The tool-socket worker (workers/tool_sockets) runs beside it as a container app (service `toolsockets`).
// The Entra ID app registration people sign in with (the dashboard, the Playground) is created here too,
// with the Microsoft Graph Bicep extension (bicepconfig.json), unless authAudience names one already.
// The phone channel's Azure Communication Services, AI services and Event Grid system topic are in
// modules/phone.bicep; the api service's postdeploy hook subscribes the app to IncomingCall.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; used for the resource group name and a unique resource token.')
param environmentName string

@minLength(1)
@description('Region for every resource. It must offer the Flex Consumption plan (az functionapp list-flexconsumption-locations).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Task hub of Durable Functions (letters and digits, 3-45 characters, starting with a letter: valid for both backends).')
param durableTaskHubName string = 'omniagent'

// DURABLE_BACKEND in the azd environment. It must agree with the host.json that is deployed: the azd
// prepackage hook (infra/hooks/stage_package.py) reads the same variable with the same default and stages a
// host.json with storageProvider type azureManaged for `scheduler`. The type is not set by an app setting
// (AzureFunctionsJobHost__extensions__durableTask__storageProvider__type) because the scale controller reads
// host.json itself and ignores such overrides:
// https://github.com/Azure/azure-functions-durable-extension/issues/2622
@description('Task-hub backend of Durable Functions: scheduler (Durable Task Scheduler, the default) or storage (Azure Storage queues, tables and blobs of the app\'s storage account). Switching an environment does not move in-flight orchestrations.')
@allowed([
  'scheduler'
  'storage'
])
param durableBackend string = 'scheduler'

@description('SKU of the Durable Task Scheduler (durableBackend scheduler): Consumption (per action dispatched) or Dedicated (per capacity unit).')
@allowed([
  'Consumption'
  'Dedicated'
])
param durableTaskSchedulerSku string = 'Consumption'

@description('Python version of the function app.')
param pythonVersion string = '3.11'

@description('Upper bound of instances the Flex Consumption plan scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Memory per instance (MB).')
@allowed([2048, 4096])
param instanceMemoryMB int = 2048

// Deliberately not mapped in main.parameters.json: azd falls back to shell variables there, and a stray
// OMNI_SECRETS_KEY would silently replace the key.
@secure()
@minLength(32)
@description('OMNI_SECRETS_KEY: encrypts model-provider API keys at rest (hashed to an AES-256 key). azd generates it once per environment and keeps it in the environment config (infra.parameters.omniSecretsKey); losing or changing it makes stored provider keys unreadable. Stored in Key Vault.')
@metadata({
  azd: {
    type: 'generate'
    config: {
      length: 48
      noSpecial: true
    }
  }
})
param omniSecretsKey string

@description('OMNI_AUTH_ISSUER: issuer of the Entra ID access tokens /manage accepts. Default: v2.0 tokens of the deploying tenant (https://login.microsoftonline.com/<tenant id>/v2.0 in the public cloud).')
param authIssuer string = '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'

@description('OMNI_AUTH_AUDIENCE: audience of the /manage bearer tokens, the application (client) id of an app registration you made yourself (v2.0 tokens, SPA redirect URI https://<function app host>/playground/redirect.html). Empty (the default): this template creates the app registration (modules/entra-app*.bicep) and uses its id; given, no app registration is created.')
param authAudience string = ''

@description('Turn on purge protection of the Key Vault (irreversible; a deleted vault and its name are then kept for 90 days).')
param keyVaultEnablePurgeProtection bool = false

@description('SKU of the Web PubSub service (the WebSocket channel): Free_F1 (trial quotas) or Standard_S1.')
@allowed([
  'Free_F1'
  'Standard_S1'
])
param webPubSubSku string = 'Free_F1'

@description('OMNI_HOSTED_OPENAI_ENDPOINT: endpoint of the platform\'s Azure OpenAI resource for `hosted` keys (https://<resource>.openai.azure.com/). Unless both this and hostedOpenAiDeployment are set, hosted keys use the embedded offline model. The app signs in with its user-assigned managed identity, which needs the Cognitive Services OpenAI User role on that resource (not granted here).')
param hostedOpenAiEndpoint string = ''

@description('OMNI_HOSTED_OPENAI_DEPLOYMENT: deployment name on that resource. Empty by default.')
param hostedOpenAiDeployment string = ''

@description('SKU of the Azure AI Search service that indexes knowledge collections (free allows one per subscription).')
@allowed([
  'free'
  'basic'
  'standard'
])
param searchSku string = 'basic'

@description('OMNI_SEARCH_VECTOR_DIMENSIONS: size of the embedding vectors of your keys\' embedding model (e.g. 1536 for text-embedding-3-small). Empty: knowledge is ranked by text (BM25) only. It is fixed when the index is first created.')
param searchVectorDimensions string = ''

@description('OMNI_HOSTED_EMBEDDING_DEPLOYMENT: embedding deployment on the hosted Azure OpenAI resource, for knowledge of `hosted` keys. Empty: text ranking only.')
param hostedEmbeddingDeployment string = ''

@description('OMNI_MARKETPLACE_TENANT_ID: tenant of the Entra app registered for the SaaS offer in Partner Center. Empty: billing is off (nothing metered or enforced).')
param marketplaceTenantId string = ''

@description('OMNI_MARKETPLACE_CLIENT_ID: that app\'s application (client) id; also the audience of the Marketplace webhook\'s tokens.')
param marketplaceClientId string = ''

// Not mapped in main.parameters.json (like omniSecretsKey), so no shell variable can set it by accident:
// `azd env config set infra.parameters.marketplaceClientSecret <secret>`. It goes to Key Vault.
@secure()
@description('OMNI_MARKETPLACE_CLIENT_SECRET: a client secret of that app (stored in Key Vault). Empty with billing off.')
param marketplaceClientSecret string = ''

// Not mapped in main.parameters.json either (like omniSecretsKey). Both sides read it from Key Vault.
@secure()
@minLength(32)
@description('OMNI_TOOL_SOCKETS_SECRET: the bearer between the function app and the tool-socket worker. azd generates it once per environment and keeps it in the environment config (infra.parameters.toolSocketsSecret). Stored in Key Vault; the function app and the container app both read it from there.')
@metadata({
  azd: {
    type: 'generate'
    config: {
      length: 48
      noSpecial: true
    }
  }
})
param toolSocketsSecret string

@description('Where Azure Communication Services (the phone channel) keeps its data at rest: a geography such as United States, Europe, UK, Japan or Australia. Fixed once the resource exists.')
param acsDataLocation string = 'United States'

@description('Whether the tool-socket container app exists already (azd sets SERVICE_TOOLSOCKETS_RESOURCE_EXISTS): then provisioning keeps its deployed image instead of the placeholder.')
param toolSocketsExists bool = false

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = 'func-api-${resourceToken}'
var webPubSubHubName = 'omniagent'
var useScheduler = durableBackend == 'scheduler'
// Flex Consumption deploys from a blob container; the app reads it with its managed identity.
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
// Known before deployment, so the function app's OMNI_TOOL_SOCKETS_URL is https://<this>.<environment
// defaultDomain> while the container app, deployed after the function app, gets the app's host name.
var toolSocketsAppName = 'ca-toolsockets-${resourceToken}'
// What the container app runs until the first `azd deploy` pushes the worker's image.
var toolSocketsPlaceholderImage = 'mcr.microsoft.com/azuredocs/containerapps-helloworld:latest'
// The sign-in app registration: ours unless authAudience names the deployer's own.
var createAppRegistration = empty(authAudience)
var appRegistrationName = 'omniagent-${resourceToken}'
var appRegistrationDisplayName = 'Omniagent (${environmentName})'
// The Event Grid trigger of channels/acs_phone.py that IncomingCall is delivered to (the postdeploy hook
// infra/hooks/acs_incoming_call.py subscribes it once the code is deployed).
var incomingCallFunctionName = 'acs_incoming_call'

resource rg 'Microsoft.Resources/resourceGroups@2022-09-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-api-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    containerNames: [deploymentContainerName]
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: 'kv-${resourceToken}'
    location: location
    tags: tags
    enablePurgeProtection: keyVaultEnablePurgeProtection
    secretsKey: omniSecretsKey
    marketplaceClientSecret: marketplaceClientSecret
  }
}

module search 'modules/search.bicep' = {
  name: 'search'
  scope: rg
  params: {
    name: 'srch-${resourceToken}'
    location: location
    tags: tags
    sku: searchSku
    principalId: identity.outputs.principalId
  }
}

// The service and its connection string secret; the hub follows the function app (webPubSubHub below).
module webPubSub 'modules/webpubsub.bicep' = {
  name: 'webpubsub'
  scope: rg
  params: {
    name: 'wps-${resourceToken}'
    location: location
    tags: tags
    sku: webPubSubSku
    keyVaultName: keyVault.outputs.name
  }
}

// The phone channel: ACS, the AI services resource it speaks and recognizes with (connected through ACS's
// managed identity), the connection string secret and the system topic of ACS's events.
module phone 'modules/phone.bicep' = {
  name: 'phone'
  scope: rg
  params: {
    communicationServicesName: 'acs-${resourceToken}'
    aiServicesName: 'ais-${resourceToken}'
    systemTopicName: 'egst-acs-${resourceToken}'
    aiServicesLocation: location
    tags: tags
    dataLocation: acsDataLocation
    keyVaultName: keyVault.outputs.name
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultName: keyVault.outputs.name
    principalId: identity.outputs.principalId
  }
}

// Before the function app: the Container Apps environment (its defaultDomain names the worker), the
// registry and the worker's bearer secret. The container app itself follows the function app (toolSockets).
module toolSocketsEnv 'modules/toolsockets-env.bicep' = {
  name: 'toolsockets-env'
  scope: rg
  params: {
    environmentName: 'cae-${resourceToken}'
    registryName: 'cr${resourceToken}'
    location: location
    tags: tags
    logAnalyticsName: monitoring.outputs.logAnalyticsName
    principalId: identity.outputs.principalId
    keyVaultName: keyVault.outputs.name
    toolSocketsSecret: toolSocketsSecret
  }
}

// The app registration's first pass, before the function app: its appId is the app's OMNI_AUTH_AUDIENCE.
// The second pass (appRegistrationSettings) follows the function app, whose host name it needs.
module appRegistration 'modules/entra-app.bicep' = if (createAppRegistration) {
  name: 'entra-app'
  scope: rg
  params: {
    uniqueName: appRegistrationName
    displayName: appRegistrationDisplayName
  }
}
var authAudienceValue = createAppRegistration ? appRegistration.outputs.appId : authAudience

// Only with durableBackend scheduler. With storage the task hub lives in the storage account, which the
// identity already reaches (rbac.bicep).
module durableTask 'modules/durabletask.bicep' = if (useScheduler) {
  name: 'durabletask'
  scope: rg
  params: {
    name: 'dts-${resourceToken}'
    location: location
    tags: tags
    taskHubName: durableTaskHubName
    skuName: durableTaskSchedulerSku
    principalId: identity.outputs.principalId
  }
}

// What the chosen backend needs besides the host storage (AzureWebJobsStorage__*, set by functionapp.bicep).
// Scheduler: the connection string named by host.json's storageProvider.connectionStringName, identity-based
// with the user-assigned identity's client id (Authentication=ManagedIdentity;ClientID=...):
// https://learn.microsoft.com/azure/durable-task/scheduler/durable-task-scheduler-identity
// DURABLE_TASK_HUB_NAME is host.json's hubName (%DURABLE_TASK_HUB_NAME%) on both backends.
var durableAppSettings = useScheduler ? {
  DURABLE_TASK_HUB_NAME: durableTask.outputs.taskHubName
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${durableTask.outputs.endpoint};Authentication=ManagedIdentity;ClientID=${identity.outputs.clientId}'
} : {
  DURABLE_TASK_HUB_NAME: durableTaskHubName
}

module api 'modules/functionapp.bicep' = {
  name: 'api'
  scope: rg
  params: {
    planName: 'plan-${resourceToken}'
    appName: functionAppName
    location: location
    tags: union(tags, { 'azd-service-name': 'api' })
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    pythonVersion: pythonVersion
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    // Where ACS posts a call's callbacks: the app's own https URL (shared/phone/settings.py).
    appUrlSettingName: 'ACS_CALLBACK_BASE_URL'
    appSettings: union(durableAppSettings, {
      OMNI_ENVIRONMENT: 'azure'
      // The host's request body limit (default 100 MB): the largest body any route takes, the knowledge
      // upload (shared/body_limits.py HOST_MAX_BODY_BYTES); the app refuses the rest by route, before parsing.
      FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '52494336'
      OMNI_STORAGE_ACCOUNT_NAME: storage.outputs.name
      // Resolved by the platform with the app's identity; the value never appears in the app settings.
      OMNI_SECRETS_KEY: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.secretsKeySecretUri})'
      OMNI_AUTH_ISSUER: authIssuer
      OMNI_AUTH_AUDIENCE: authAudienceValue
      WEBPUBSUB_CONNECTION_STRING: '@Microsoft.KeyVault(SecretUri=${webPubSub.outputs.connectionStringSecretUri})'
      WEBPUBSUB_HUB: webPubSubHubName
      OMNI_HOSTED_OPENAI_ENDPOINT: hostedOpenAiEndpoint
      OMNI_HOSTED_OPENAI_DEPLOYMENT: hostedOpenAiDeployment
      OMNI_HOSTED_EMBEDDING_DEPLOYMENT: hostedEmbeddingDeployment
      OMNI_SEARCH_ENDPOINT: search.outputs.endpoint
      OMNI_SEARCH_VECTOR_DIMENSIONS: searchVectorDimensions
      OMNI_MARKETPLACE_TENANT_ID: marketplaceTenantId
      OMNI_MARKETPLACE_CLIENT_ID: marketplaceClientId
      OMNI_MARKETPLACE_CLIENT_SECRET: empty(marketplaceClientSecret) ? '' : '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.marketplaceClientSecretUri})'
      // The worker's external ingress: https://<app name>.<environment default domain>.
      OMNI_TOOL_SOCKETS_URL: 'https://${toolSocketsAppName}.${toolSocketsEnv.outputs.defaultDomain}'
      OMNI_TOOL_SOCKETS_SECRET: '@Microsoft.KeyVault(SecretUri=${toolSocketsEnv.outputs.secretUri})'
      // The phone channel (shared/phone/settings.py). ACS_CALLBACK_JWKS_URL keeps its default, ACS's
      // published keys; the callback tokens' audience is the resource's immutable id.
      ACS_CONNECTION_STRING: '@Microsoft.KeyVault(SecretUri=${phone.outputs.connectionStringSecretUri})'
      ACS_CALLBACK_AUDIENCE: phone.outputs.immutableResourceId
      ACS_COGNITIVE_SERVICES_ENDPOINT: phone.outputs.aiServicesEndpoint
    })
  }
  dependsOn: [
    rbac
    durableTask
  ]
}

// After the function app: the event handler URL is the app's host name.
module webPubSubHub 'modules/webpubsub-hub.bicep' = {
  name: 'webpubsub-hub'
  scope: rg
  params: {
    webPubSubName: webPubSub.outputs.name
    hubName: webPubSubHubName
    functionAppHostName: api.outputs.defaultHostName
  }
}

// After the function app: the registration's redirect URI, Application ID URI, scope and service principal.
module appRegistrationSettings 'modules/entra-app-settings.bicep' = if (createAppRegistration) {
  name: 'entra-app-settings'
  scope: rg
  params: {
    uniqueName: appRegistrationName
    displayName: appRegistrationDisplayName
    appId: appRegistration.outputs.appId
    functionAppHostName: api.outputs.defaultHostName
  }
}

// The image the worker runs now, when it exists (the deployed one, kept across `azd provision`).
module toolSocketsImage 'modules/toolsockets-image.bicep' = if (toolSocketsExists) {
  name: 'toolsockets-image'
  scope: rg
  params: {
    name: toolSocketsAppName
  }
}

// After the function app: the worker posts pushes to the app's host name.
module toolSockets 'modules/toolsockets.bicep' = {
  name: 'toolsockets'
  scope: rg
  params: {
    name: toolSocketsAppName
    location: location
    tags: union(tags, { 'azd-service-name': 'toolsockets' })
    environmentId: toolSocketsEnv.outputs.environmentId
    registryLoginServer: toolSocketsEnv.outputs.registryLoginServer
    identityId: identity.outputs.id
    image: toolSocketsExists ? toolSocketsImage.outputs.image : toolSocketsPlaceholderImage
    appUrl: api.outputs.uri
    secretUri: toolSocketsEnv.outputs.secretUri
  }
  dependsOn: [
    rbac // Key Vault Secrets User: the container app resolves its secret with the identity
  ]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = api.outputs.uri
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_ENDPOINT string = keyVault.outputs.uri
output AZURE_WEBPUBSUB_NAME string = webPubSub.outputs.name
output AZURE_WEBPUBSUB_HOSTNAME string = webPubSub.outputs.hostName
output AZURE_SEARCH_ENDPOINT string = search.outputs.endpoint
// The phone channel: numbers are bought in this ACS resource; the postdeploy hook subscribes the function
// below to IncomingCall on the system topic.
output AZURE_COMMUNICATION_SERVICES_NAME string = phone.outputs.communicationServicesName
output AZURE_COMMUNICATION_SERVICES_ENDPOINT string = 'https://${phone.outputs.hostName}/'
output AZURE_AI_SERVICES_ENDPOINT string = phone.outputs.aiServicesEndpoint
output AZURE_ACS_SYSTEM_TOPIC_NAME string = phone.outputs.systemTopicName
output AZURE_ACS_INCOMING_CALL_FUNCTION_ID string = '${api.outputs.id}/functions/${incomingCallFunctionName}'
// The sign-in app registration's client id (= OMNI_AUTH_AUDIENCE). Deliberately not named
// OMNI_AUTH_AUDIENCE: azd writes outputs into the environment's .env, and main.parameters.json would then
// pass it back as authAudience, which turns the app registration off on the next provision.
output AZURE_AUTH_CLIENT_ID string = authAudienceValue
output AZURE_AUTH_REDIRECT_URI string = 'https://${api.outputs.defaultHostName}/playground/redirect.html'
// For the SaaS offer's technical configuration in Partner Center.
output MARKETPLACE_LANDING_PAGE_URL string = '${api.outputs.uri}/marketplace/landing'
output MARKETPLACE_WEBHOOK_URL string = '${api.outputs.uri}/marketplace/webhook'
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.applicationInsightsConnectionString
output DURABLE_BACKEND string = durableBackend
output DURABLE_TASK_SCHEDULER_NAME string = useScheduler ? durableTask.outputs.name : ''
output DURABLE_TASK_SCHEDULER_ENDPOINT string = useScheduler ? durableTask.outputs.endpoint : ''
// azd pushes the `toolsockets` image to this registry.
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = toolSocketsEnv.outputs.registryLoginServer
output AZURE_CONTAINER_REGISTRY_NAME string = toolSocketsEnv.outputs.registryName
output AZURE_CONTAINER_APPS_ENVIRONMENT_NAME string = toolSocketsEnv.outputs.environmentName
output SERVICE_TOOLSOCKETS_NAME string = toolSockets.outputs.name
output AZURE_TOOLSOCKETS_URL string = toolSockets.outputs.uri
