"""Intake commands: storing, parsing, threading and quarantining inbound mail."""
