"""Checks prepared for a GPU machine (see README.md here): self-contained, carried as one tarball."""
