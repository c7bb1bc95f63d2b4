// Durable Task Scheduler (DTS): the managed task-hub backend of Durable Functions (storage provider type
// `azureManaged`), reached with the app's user-assigned identity only (no keys exist for DTS).
//   Resource types and properties (ipAllowlist required, sku Consumption | Dedicated, capacity for Dedicated):
//   https://learn.microsoft.com/azure/templates/microsoft.durabletask/schedulers
//   https://learn.microsoft.com/azure/templates/microsoft.durabletask/schedulers/taskhubs
//   API version 2025-11-01 as in Microsoft's DTS Bicep pattern (an empty ipAllowlist denies all traffic):
//   https://github.com/microsoft/GitHub-Copilot-for-Azure/blob/main/plugin/skills/azure-prepare/references/services/durable-task-scheduler/bicep.md
// Role: Durable Task Data Contributor (data actions Microsoft.DurableTask/*), which most Durable Functions apps
// need ("Configure managed identity for Durable Task Scheduler"):
//   https://learn.microsoft.com/azure/durable-task/scheduler/durable-task-scheduler-identity
//   https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/integration#durable-task-data-contributor
// The app's connection string is built by main.bicep from the `endpoint` output:
// Endpoint=<endpoint>;Authentication=ManagedIdentity;ClientID=<user-assigned identity client id>.
@minLength(3)
@maxLength(64)
@description('Scheduler name (letters, digits and hyphens, 3-64 characters).')
param name string
param location string = resourceGroup().location
param tags object = {}

@minLength(3)
@maxLength(64)
@description('Task hub name; the app\'s host.json hubName (%DURABLE_TASK_HUB_NAME%) must name it.')
param taskHubName string

@description('Consumption: billed per action dispatched, no idle cost. Dedicated: fixed monthly cost per capacity unit.')
@allowed([
  'Consumption'
  'Dedicated'
])
param skuName string = 'Consumption'

@description('Capacity units of the Dedicated SKU (ignored for Consumption).')
@minValue(1)
@maxValue(3)
param dedicatedCapacity int = 1

@description('Addresses allowed to reach the scheduler (IPv4, IPv6 or CIDR). It must not be empty: an empty list denies all traffic. Flex Consumption has no fixed outbound addresses, hence allow-all; access still needs the role below.')
param ipAllowlist array = [
  '0.0.0.0/0'
]

@description('Principal id of the function app\'s user-assigned identity.')
param principalId string

// Durable Task Data Contributor (built-in role definition id).
var durableTaskDataContributorRoleId = '0ad04412-c4d5-4796-b79c-f76d14c8d402'

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    ipAllowlist: ipAllowlist
    sku: skuName == 'Dedicated' ? {
      name: 'Dedicated'
      capacity: dedicatedCapacity
    } : {
      name: 'Consumption'
    }
  }
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2025-11-01' = {
  parent: scheduler
  name: taskHubName
}

// On the scheduler: covers every task hub in it.
resource dataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(scheduler.id, principalId, durableTaskDataContributorRoleId)
  scope: scheduler
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', durableTaskDataContributorRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output name string = scheduler.name
// https://<name>-<hash>.<region>.durabletask.io: read from the resource, never composed.
output endpoint string = scheduler.properties.endpoint
output taskHubName string = taskHub.name
