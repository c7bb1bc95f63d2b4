// The Web PubSub hub of the WebSocket channel and its one event handler: the function app's
// /runtime/webpubsub/{hub} route (channels/webpubsub.py), which answers the abuse-protection OPTIONS
// handshake and checks the ce-signature of every event, so the handler needs no upstream auth. Kept apart
// from webpubsub.bicep: the function app's settings need the service's secret, and the hub needs the
// app's host name, so the hub is deployed after the app.
param webPubSubName string
@description('Hub name; the app\'s WEBPUBSUB_HUB.')
param hubName string
@description('Default host name of the function app (no scheme).')
param functionAppHostName string

resource webPubSub 'Microsoft.SignalRService/webPubSub@2024-03-01' existing = {
  name: webPubSubName
}

resource hub 'Microsoft.SignalRService/webPubSub/hubs@2024-03-01' = {
  parent: webPubSub
  name: hubName
  properties: {
    eventHandlers: [
      {
        // {hub} is filled in by the service, not by Bicep.
        urlTemplate: 'https://${functionAppHostName}/runtime/webpubsub/{hub}'
        userEventPattern: '*'
        systemEvents: [
          'connect'
          'connected'
          'disconnected'
        ]
      }
    ]
    // Clients connect only with an access token the app signed.
    anonymousConnectPolicy: 'deny'
  }
}

output name string = hub.name
