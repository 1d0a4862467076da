"""Where Rasa keeps conversations: the encrypted SQL tracker store and the plumbing to reach it.

Rasa-side infrastructure used by both the bot's embedded engine (``bot/``) and the Rasa
server (``nlu/``, the scaled deployment), so that neither imports the other.  It imports
Rasa and SQLAlchemy, never ``bot``, ``nlu`` or ``guidance``.
"""
