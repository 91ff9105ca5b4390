"""``python -m tc0``: the ``tc0`` command line."""

from tc0.cli import main

if __name__ == "__main__":
    main(prog_name="tc0")
