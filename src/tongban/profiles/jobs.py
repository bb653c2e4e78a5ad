"""This context's background and scheduled jobs (registered on tongban.jobs.huey)."""
