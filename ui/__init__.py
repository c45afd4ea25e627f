"""The TelOS Morphic desktop client (Kivy).

It talks to the living image only through the bridge. Modules:

- :mod:`ui.env`          — Kivy's environment (headless driver, logging into ours), before import
- :mod:`ui.main`         — entry point and ``--screenshot`` mode (``master_forge.py ui``)
- :mod:`ui.app`          — the thin App: kv layouts, root, wiring
- :mod:`ui.client`       — the bridge client seen as one inbox drained per frame
- :mod:`ui.link`         — the frame pump: batching, routing, connection state, reconnect
- :mod:`ui.prototypes`   — styled widget prototypes, cloned for every bubble and row
- :mod:`ui.theme`        — palette, sizes, persona colours
- :mod:`ui.chatlog`, :mod:`ui.chat`        — the conversation (data, then view)
- :mod:`ui.inspection`, :mod:`ui.inspector` — the inspector (data, then view)
- :mod:`ui.memoryview`, :mod:`ui.status`, :mod:`ui.root` — memory panel, status bar, root
- :mod:`ui.screenshot`   — render a view to a PNG and exit

Importing ``ui`` does not import Kivy.
"""
