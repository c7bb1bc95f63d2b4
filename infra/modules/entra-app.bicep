// The sign-in app registration, first pass: the object itself, so that its application (client) id is
// known before the function app is created (OMNI_AUTH_AUDIENCE). Everything that needs that id or the
// app's host name (its Application ID URI, its scope, its redirect URI) is set by the second pass,
// entra-app-settings.bicep, after the function app. This pass declares only what never changes, because
// the extension updates an existing registration with the properties given here: declaring `api` here
// without its scope would try to remove an enabled scope on every later provision, which Entra refuses.
extension microsoftGraphV1

@description('The registration\'s uniqueName (the key the Graph extension finds it by on every provision).')
param uniqueName string

@description('The name people see on the sign-in and consent pages.')
param displayName string

resource application 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: displayName
  signInAudience: 'AzureADMyOrg' // the deploying tenant only: OMNI_AUTH_ISSUER is that tenant's
}

output appId string = application.appId
