// The image the tool-socket container app runs now (only called when it exists,
// SERVICE_TOOLSOCKETS_RESOURCE_EXISTS): `azd provision` keeps the image `azd deploy` put there instead
// of going back to the placeholder. A module of its own, because toolsockets.bicep deploys that app.
param name string

resource app 'Microsoft.App/containerApps@2024-03-01' existing = {
  name: name
}

output image string = app.properties.template.containers[0].image
