"""The privacy assistant in Slack: employees ask the policy and forward requests; the team works the queue.

The core (``assistant``) never imports this package; this package uses the core's public objects.
"""

from slack_app.app import create_slack_app, start_announcer

__all__ = ["create_slack_app", "start_announcer"]
