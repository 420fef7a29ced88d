"""112 Dispatch Bridge command line: `python run.py` serves; `report`, `import-calls`,
`import-telephony` work on the database only."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.settings import SettingsError, load_settings

NO_TOKEN = (
    "telegram.token: token bot belum diisi. Jalankan dengan token dari @BotFather, mis. "
    "DISPATCH_TELEGRAM__TOKEN=123456:ABC-DEF make run"
)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="run.py", description="112 Dispatch Bridge Kota Blitar")
    sub = p.add_subparsers(dest="command")
    sub.add_parser("run", help="jalankan bot (bawaan)")
    try:
        from bot.report_cli import add_subcommands
    except ImportError:
        pass
    else:
        add_subcommands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command = args.command or "run"
    try:
        settings = load_settings()
        if command == "run":
            if not settings.telegram.token.get_secret_value():
                print(NO_TOKEN, file=sys.stderr)
                return 2
            from bot.compose import configure_logging, serve

            configure_logging()
            return asyncio.run(serve(settings))
        from bot.report_cli import run_command

        return asyncio.run(run_command(command, args, settings))
    except SettingsError as exc:
        print(f"Pengaturan salah: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
