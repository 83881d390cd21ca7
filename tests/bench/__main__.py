"""``python -m tests.bench`` runs the budget benchmark."""

from tests.bench.budget import main

raise SystemExit(main())
