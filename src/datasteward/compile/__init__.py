"""Compile the checks of one dataset into one aggregate query and sample queries."""
