"""A local stand-in for Azure Communication Services Call Automation: REST API, callbacks, IncomingCall."""

from .config import AcsStandInConfig, ensure_settings
from .service import AcsStandIn

__all__ = ["AcsStandIn", "AcsStandInConfig", "ensure_settings"]
