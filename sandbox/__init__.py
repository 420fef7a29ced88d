"""The sandbox and training console: the whole system on one machine without Telegram.

`python run.py` without a token (or `--sandbox`) starts an embedded Bot API server (sandbox/botapi, the
same fake the tests use), the local murmurd, the bot itself unchanged over real HTTP, and a web console.
Only run.py imports this package; the product (bot/, handlers/, radio_bridge/, web/) never does."""
