"""``python -m item2vec.cli`` and ``spark-submit .../item2vec/cli/__main__.py``: the ``item2vec`` command."""

from item2vec.cli import main

main()
