"""Create missing permanent channels with a short-lived privileged connection.

Mumble 1.3 cannot declare channels in its ini; they live in the server's
database. Only a user with the MakeChannel right (SuperUser on a fresh server)
may create permanent ones, and SuperUser is a single account (a second login
kicks the first), so channel creation uses its own connection that ends as
soon as the channels exist.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from radio_bridge.client import BridgeMumble, C, create_channel, threadsafe
from radio_bridge.errors import RadioUnavailable
from radio_bridge.pacing import TextBudget


def channel_names(client: BridgeMumble) -> set[str]:
    return {str(ch["name"]) for ch in list(client.channels.values())}


async def connect(client: BridgeMumble, within: float) -> None:
    """Start ``client`` and wait until it is connected, failed, or ``within`` seconds passed."""
    client.start()
    # Waiting on the ready lock in a worker thread, bounded so the worker never leaks.
    ok = await asyncio.to_thread(client.ready_lock.acquire, True, within)
    if ok:
        client.ready_lock.release()
    if not (ok and client.is_connected):
        client.close()
        reason = f": {client.failure}" if client.failure else ""
        raise RadioUnavailable(f"Tidak dapat tersambung ke server Mumble {client.host}:{client.port}{reason}")


async def create_missing(client: BridgeMumble, names: Sequence[str], within: float) -> list[str]:
    """Ask the server (through a connected ``client``) for each missing channel under root.

    Returns the names created. Raises RadioUnavailable naming the channels when the
    server refuses (PermissionDenied: the user lacks MakeChannel) or never confirms.
    """
    missing = [n for n in dict.fromkeys(names) if n not in channel_names(client)]
    if not missing:
        return []
    loop = asyncio.get_running_loop()
    settled = asyncio.Event()
    denied: list[str] = []

    def on_created(_channel: object) -> None:
        # Runs on the pymumble thread: recheck the full set, then wake the loop.
        if all(n in channel_names(client) for n in missing):
            threadsafe(loop, settled.set)

    def on_denied(msg: object) -> None:
        denied.append(str(getattr(msg, "reason", "") or getattr(msg, "type", "")))
        threadsafe(loop, settled.set)

    client.callbacks.add_callback(C.PYMUMBLE_CLBK_CHANNELCREATED, on_created)
    client.callbacks.add_callback(C.PYMUMBLE_CLBK_PERMISSIONDENIED, on_denied)
    try:
        # murmur's per-user message limit counts channel requests too (burst 5, then 1 a second, over
        # the limit dropped silently): paced like the bot's text, so every agency channel gets made.
        budget = TextBudget()
        budget.connected()
        for name in missing:
            await budget.take()
            if not await asyncio.to_thread(client.run_command, create_channel(0, name), within):
                raise RadioUnavailable(f"Gagal meminta pembuatan kanal radio '{name}'")
        try:
            await asyncio.wait_for(settled.wait(), within)
        except TimeoutError as exc:
            raise RadioUnavailable(f"Kanal radio {', '.join(missing)} tidak terbentuk di server") from exc
        if denied:
            raise RadioUnavailable(
                f"Kanal radio {', '.join(missing)} tidak ada dan bot tidak berhak membuatnya ({denied[0]})"
            )
        return missing
    finally:
        client.callbacks.remove_callback(C.PYMUMBLE_CLBK_CHANNELCREATED, on_created)
        client.callbacks.remove_callback(C.PYMUMBLE_CLBK_PERMISSIONDENIED, on_denied)


async def ensure_channels(
    host: str, port: int, password: str, names: Sequence[str], *, within: float = 10.0
) -> list[str]:
    """Log in as SuperUser and create each missing channel under root; return the created names."""
    client = BridgeMumble(host, "SuperUser", port=port, password=password)
    await connect(client, within)
    try:
        return await create_missing(client, names, within)
    finally:
        client.close()


async def wait_channel(client: BridgeMumble, name: str, within: float) -> None:
    """Wait until ``client`` has heard of channel ``name`` (created by another connection)."""
    loop = asyncio.get_running_loop()
    seen = asyncio.Event()

    def on_created(channel: object) -> None:
        if name in channel_names(client):
            threadsafe(loop, seen.set)

    client.callbacks.add_callback(C.PYMUMBLE_CLBK_CHANNELCREATED, on_created)
    try:
        if name not in channel_names(client):  # it may have arrived before we subscribed
            await asyncio.wait_for(seen.wait(), within)
    except TimeoutError:
        raise RadioUnavailable(f"Kanal radio '{name}' tidak muncul di server") from None
    finally:
        client.callbacks.remove_callback(C.PYMUMBLE_CLBK_CHANNELCREATED, on_created)
