"""Shared kernel: errors, clock, i18n, organisations, accounts and permissions, audit chain."""
