"""Mumble edge of the 112 Dispatch Bridge (see link.py for the design).

Importing the package applies the pymumble compatibility fixes first, so any
module below may import ``pymumble_py3`` directly.
"""

from radio_bridge.compat import load_pymumble

load_pymumble()
