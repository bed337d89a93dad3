"""Webhooks: outgoing signed webhooks, delivery log and Slack notifications."""
