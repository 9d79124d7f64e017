"""orders-service."""
