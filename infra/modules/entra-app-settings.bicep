// The sign-in app registration, second pass (after the function app, whose host name its redirect URI
// names): one registration is both the single-page application that signs people in (the Playground and
// the dashboard, MSAL for the browser) and the API whose access tokens /manage accepts.
//
// It has to agree with GET /public/web-config (api/web_config.py), which derives MSAL's settings from the
// app settings: client id = OMNI_AUTH_AUDIENCE (this appId), authority = the tenant of OMNI_AUTH_ISSUER
// (https://login.microsoftonline.com/<tenant id>), scopes = ['<appId>/.default']. So:
// - requestedAccessTokenVersion 2: v2.0 access tokens, whose `iss` is OMNI_AUTH_ISSUER
//   (.../<tenant id>/v2.0) and whose `aud` is the appId (v1.0 tokens carry https://sts.windows.net/...
//   and the Application ID URI instead, and the bearer path would refuse them);
// - the scope is asked for by the GUID (`<appId>/.default`), the only form Entra accepts when an app asks
//   for a token to itself; `.default` is what the registration requires of itself, so it requires its own
//   `access_as_user` scope (requiredResourceAccess below) and the token carries `scp: access_as_user`;
// - the one redirect URI is the Playground's bridge page, which the dashboard uses too (web/common/entra.ts).
extension microsoftGraphV1

@description('The registration\'s uniqueName, as in the first pass (entra-app.bicep).')
param uniqueName string

@description('The name people see on the sign-in and consent pages, as in the first pass.')
param displayName string

@description('The application (client) id the first pass created.')
param appId string

@description('The function app\'s host name (<name>.azurewebsites.net or its unique default host name).')
param functionAppHostName string

var scopeValue = 'access_as_user'
var scopeId = guid(uniqueName, scopeValue) // stable across provisions: a changed id would be a new scope

resource application 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: displayName
  signInAudience: 'AzureADMyOrg'
  identifierUris: [
    'api://${appId}'
  ]
  spa: {
    redirectUris: [
      'https://${functionAppHostName}/playground/redirect.html'
    ]
  }
  api: {
    requestedAccessTokenVersion: 2
    oauth2PermissionScopes: [
      {
        id: scopeId
        value: scopeValue
        type: 'User'
        isEnabled: true
        adminConsentDisplayName: 'Use Omniagent as the signed-in user'
        adminConsentDescription: 'Lets the Omniagent dashboard and Playground call the Omniagent management API as the signed-in user.'
        userConsentDisplayName: 'Use Omniagent as you'
        userConsentDescription: 'Lets the Omniagent dashboard and Playground call the Omniagent management API as you.'
      }
    ]
  }
  requiredResourceAccess: [
    {
      resourceAppId: appId
      resourceAccess: [
        {
          id: scopeId
          type: 'Scope'
        }
      ]
    }
  ]
}

// The registration's instance in the tenant: without it nobody can sign in to it or consent to it.
resource servicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: application.appId
}

output appId string = application.appId
output scope string = 'api://${appId}/${scopeValue}'
