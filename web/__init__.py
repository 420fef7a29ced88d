"""The HTTP edge: one aiohttp server for everything the product serves over HTTP (web/server.py).

Thin like handlers/ and radio_bridge/: parse, authorise, call a service in bot/, answer."""
