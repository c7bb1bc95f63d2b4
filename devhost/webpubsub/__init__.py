"""A local stand-in for Azure Web PubSub: client WebSocket endpoint, event handler delivery, REST API."""

from .config import StandInConfig, ensure_connection_string
from .service import WebPubSubStandIn

__all__ = ["StandInConfig", "WebPubSubStandIn", "ensure_connection_string"]
