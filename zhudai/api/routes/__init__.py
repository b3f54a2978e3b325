"""One router per resource; each route checks the caller and calls a service."""
