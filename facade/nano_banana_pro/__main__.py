"""`python -m nano_banana_pro`: the command line, the same as the `nano-banana-pro` script.

The CLI is imported only when this runs as a program, so importing the package stays cheap.
"""

if __name__ == "__main__":
    from .cli import main

    raise SystemExit(main())
