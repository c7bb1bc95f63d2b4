"""Long-lived workers beside the Functions app (see docs/architecture.md)."""
