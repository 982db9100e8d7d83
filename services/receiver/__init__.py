"""``python -m services.receiver serve|export|load|scrub``: the backend's command.

Only the command lives here; the receiver itself is ``services.backend`` (receiver.py,
store.py, processors.py, cli.py). Importing this package imports nothing else.
"""
