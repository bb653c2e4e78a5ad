"""Exchange: ingest (归集) with history, sharing requests and grants, access and verification, access log."""
