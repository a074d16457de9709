"""`python -m nano_banana_pro.cli`: the same as the `nano-banana-pro` console script."""

from . import main

raise SystemExit(main())
