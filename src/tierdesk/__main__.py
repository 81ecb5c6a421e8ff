"""``python -m tierdesk …`` is the same as the ``tierdesk`` command."""

from tierdesk.cli.main import main

main()
