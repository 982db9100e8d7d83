"""``python -m services.receiver ...``: see services/backend/cli.py."""

from services.backend.cli import main

main()
