"""Custom Rasa 3.6 graph components (named in config.yml by their module path)."""
