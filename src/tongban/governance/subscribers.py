"""This context's reactions to other contexts' events (kernel/events.py)."""
