"""Writer Desktop: a native desktop assistant for Writer's chat completion API."""

__version__ = "0.1.0"
APP_NAME = "Writer Desktop"
APP_AUTHOR = "Writer"
