"""Mumble edge of the 112 Dispatch Bridge (see link.py for the design).

pymumble is loaded with its compatibility fixes by radio_bridge.client (radio_bridge.compat), the
only module that imports ``pymumble_py3``; not here, so a bot with the radio off never loads it (and
protobuf with it): that is a tenth of a second of start-up.
"""
