"""Notifications: the in-app inbox (and, later, an outbox with e-mail and SMS channels)."""
