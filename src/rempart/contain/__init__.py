"""contain."""
