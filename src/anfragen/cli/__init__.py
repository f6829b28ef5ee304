"""cli: the ``anfragen`` command line (entry point ``anfragen.cli.main:main``).

``main.py`` builds the parser (``--index``/``--model`` declared once, shared by every
subcommand) and runs the document and index commands; ``eval.py`` and ``bench.py`` hold the
``eval`` and ``bench`` subcommands; ``progress.py`` the progress display. Only this package
(and ``app.py``) parses arguments, prints and turns ``AnfragenError`` into German messages.
It may import everything below it (``evaluation``, ``pipeline`` and the stages) and calls
``Engine``; it writes no SQL and never touches ``.conn`` or
``.vectors``.
"""
