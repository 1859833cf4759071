class RuntimeStartError(RuntimeError):
    """A server could not start; the message is one line saying what and why."""
