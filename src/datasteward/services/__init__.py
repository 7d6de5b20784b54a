"""Services: the functions every door (CLI, Python API, server, scheduler) calls."""
