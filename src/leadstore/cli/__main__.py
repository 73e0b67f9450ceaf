"""`python -m leadstore.cli`: the console script."""

from leadstore.cli.main import main

raise SystemExit(main())
