"""Run the fake Bot API by hand: python -m sandbox.botapi --port 8081

Point a bot at the printed base_url. Optional stdin commands play a user:
  user ID NAME             register a user
  group ID TITLE           register a group
  say USER_ID CHAT_ID TEXT send a text (a command if it starts with "/")
  tap USER_ID CHAT_ID MESSAGE_ID DATA
  show                     print the last messages
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from .server import FakeBotApi


def _run_command(api: FakeBotApi, line: str) -> str:
    words = line.split(maxsplit=3)
    if not words:
        return ""
    cmd, args = words[0], words[1:]
    if cmd == "user" and len(args) >= 2:
        return repr(api.user(int(args[0]), " ".join(args[1:])))
    if cmd == "group" and len(args) >= 2:
        return repr(api.group(int(args[0]), " ".join(args[1:])))
    if cmd == "say" and len(args) == 3:
        user = api.state.users[int(args[0])]
        return f"update {api.send_text(user, int(args[1]), args[2])}"
    if cmd == "tap" and len(args) == 3:
        user = api.state.users[int(args[0])]
        message_id, data = args[2].split(maxsplit=1)
        return f"callback {api.tap(user, int(args[1]), int(message_id), data)}"
    if cmd == "show":
        return api.describe()
    return f"unknown command: {line!r}"


async def _main(port: int, token: str, username: str) -> None:
    api = FakeBotApi(token=token, bot_username=username)
    await api.start(port=port)
    print(f"base_url={api.base_url}  base_file_url={api.base_file_url}  token={token}", flush=True)
    loop = asyncio.get_running_loop()
    try:
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:  # stdin closed: keep serving until interrupted
                await asyncio.Event().wait()
            try:
                print(_run_command(api, line.strip()), flush=True)
            except (KeyError, ValueError) as exc:
                print(f"error: {exc!r}", flush=True)
    finally:
        await api.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.botapi", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST")
    parser.add_argument("--username", default="dispatch112_bot")
    args = parser.parse_args()
    try:
        asyncio.run(_main(args.port, args.token, args.username))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
