"""Writes: every change to stored data goes through a function here (views stay thin)."""
