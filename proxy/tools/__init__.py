"""Developer tools that are not part of the request path."""
