"""The privacy assistant in Slack: employees ask the policy and forward requests; the team works the queue.

The core (``assistant``) never imports this package; this package uses the core's public objects. The
web app finds ``mount.mount_slack`` through its plug-in entry point; nothing here imports Bolt until
Slack is configured, so the package is importable without the [slack] extra.
"""
