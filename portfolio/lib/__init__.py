"""Small helpers any app of the project uses; they know nothing of pilots or gates."""
