"""Pure tests of panel health (the learner and its decisions) and their helpers."""
