"""Custom Rasa NLU components for Colibri (only where Rasa has none)."""
