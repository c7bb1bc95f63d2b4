// Key Vault holding the app's secrets (RBAC authorization, soft delete on). The function app reads them
// through Key Vault references resolved with its user-assigned identity (Key Vault Secrets User, in
// rbac.bicep). Public network access stays on, like the storage account and the quickstart.
param name string
param location string = resourceGroup().location
param tags object = {}
@description('Purge protection: once on it cannot be turned off, and a deleted vault (and its name) is kept for the whole retention period.')
param enablePurgeProtection bool = false
@description('Name of the secret that holds the app\'s secrets key (OMNI_SECRETS_KEY).')
param secretsKeySecretName string = 'omni-secrets-key'
@secure()
@description('Value of the app\'s secrets key: 32+ random characters.')
param secretsKey string
@secure()
@description('The Marketplace publisher app\'s client secret (OMNI_MARKETPLACE_CLIENT_SECRET); empty: none is stored.')
param marketplaceClientSecret string = ''

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
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // The API refuses false: leave it unset unless purge protection is wanted.
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }

  resource secretsKeySecret 'secrets' = {
    name: secretsKeySecretName
    properties: {
      value: secretsKey
    }
  }
}

resource marketplaceSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(marketplaceClientSecret)) {
  parent: vault
  name: 'omni-marketplace-client-secret'
  properties: {
    value: marketplaceClientSecret
  }
}

output name string = vault.name
output id string = vault.id
output uri string = vault.properties.vaultUri
// Versionless, so a Key Vault reference follows the secret's current version.
output secretsKeySecretUri string = vault::secretsKeySecret.properties.secretUri
output marketplaceClientSecretUri string = empty(marketplaceClientSecret) ? '' : marketplaceSecret.properties.secretUri
