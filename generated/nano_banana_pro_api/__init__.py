"""A client library for accessing Magnific Nano Banana Pro API"""

from .client import AuthenticatedClient, Client

__all__ = (
    "AuthenticatedClient",
    "Client",
)
