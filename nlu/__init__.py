"""Code that runs inside Rasa and its action server: custom actions and validators."""
