// The tool-socket worker (workers/tool_sockets, image workers/tool_sockets/Dockerfile): a container app
// tagged azd-service-name `toolsockets`, which `azd deploy` builds, pushes to the registry and rolls out.
// It holds each session's sockets to its WebSocket tool servers in memory, hence:
// - min = max replicas 1. No scale to zero (it would drop the open sockets, and a socket per session must
//   live as long as the session); no second replica either: the app's calls for a session must reach the
//   replica that holds its sockets, and the ingress has no affinity the app's client would carry.
// - external ingress (HTTPS only). The function app (Flex Consumption, no VNet integration here) cannot
//   reach an internal-only environment, so the worker's internal API is on the internet and protected by
//   the bearer OMNI_TOOL_SOCKETS_SECRET, checked on every request (401 otherwise).
// A new revision (azd deploy, a changed setting) replaces the replica: the sockets of sessions in progress
// close and their later tool calls fail as ToolServerUnavailable.
param name string
param location string = resourceGroup().location
param tags object = {}
param environmentId string
param registryLoginServer string
@description('Resource id of the user-assigned identity: pulls the image and reads the Key Vault secret.')
param identityId string
@description('Image to run: the placeholder until the first azd deploy, then the deployed one (main.bicep).')
param image string
@description('OMNI_APP_URL: https://<function app default host name>, where the worker posts pushes.')
param appUrl string
@description('Versionless Key Vault secret URI of OMNI_TOOL_SOCKETS_SECRET.')
param secretUri string
param targetPort int = 8080
param cpu string = '0.5'
param memory string = '1Gi'

resource app 'Microsoft.App/containerApps@2024-03-01' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    managedEnvironmentId: environmentId
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: {
        external: true
        targetPort: targetPort
        transport: 'http'
        allowInsecure: false
      }
      registries: [
        {
          server: registryLoginServer
          identity: identityId
        }
      ]
      secrets: [
        {
          // Resolved by Container Apps with the identity (Key Vault Secrets User, rbac.bicep).
          name: 'tool-sockets-secret'
          keyVaultUrl: secretUri
          identity: identityId
        }
      ]
    }
    template: {
      containers: [
        {
          name: 'toolsockets'
          image: image
          resources: {
            cpu: json(cpu)
            memory: memory
          }
          env: [
            {
              name: 'OMNI_APP_URL'
              value: appUrl
            }
            {
              name: 'OMNI_ENVIRONMENT'
              value: 'azure'
            }
            {
              name: 'OMNI_TOOL_SOCKETS_SECRET'
              secretRef: 'tool-sockets-secret'
            }
          ]
        }
      ]
      scale: {
        minReplicas: 1
        maxReplicas: 1
      }
    }
  }
}

output name string = app.name
output fqdn string = app.properties.configuration.ingress.fqdn
output uri string = 'https://${app.properties.configuration.ingress.fqdn}'
