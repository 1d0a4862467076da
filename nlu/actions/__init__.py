"""Custom actions (rasa_sdk) for the stalking-guidance assistant."""
