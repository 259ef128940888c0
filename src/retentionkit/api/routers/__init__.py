"""One router per resource; each is a thin adapter over a library function."""
