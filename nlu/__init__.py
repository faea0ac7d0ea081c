"""Rasa NLU components for Vietnamese (loaded by the Rasa server in `.venv-rasa`)."""
