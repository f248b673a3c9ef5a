"""`python -m datagen generate ...`: see datagen/cli.py."""

from datagen.cli import main

raise SystemExit(main())
