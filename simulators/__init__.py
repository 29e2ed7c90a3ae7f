"""Local stand-ins for the third-party services Colibri calls."""
