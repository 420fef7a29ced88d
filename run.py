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
    # What a service unit runs: production only; without a token it exits 2, whatever else is set.
    p.add_argument("--live", action="store_true", help="produksi: wajib token, tidak pernah mode latihan")
    try:
        from bot import backups, report_cli
    except ImportError:
        pass
    else:
        report_cli.add_subcommands(sub)
        backups.add_subcommands(sub)
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
            from storage.backup import BackupError, service_lock

            configure_logging()
            try:
                # Held while serving: `restore` refuses to replace a database a running bot has open.
                with service_lock(settings.storage.path):
                    return asyncio.run(serve(settings))
            except BackupError as exc:
                print(f"Gagal mulai: {exc}", file=sys.stderr)
                return 2
        if command in ("backup", "restore"):
            from bot import backups

            return asyncio.run(backups.run_command(command, args, settings))
        from bot.report_cli import run_command

        return asyncio.run(run_command(command, args, settings))
    except SettingsError as exc:
        print(f"Pengaturan salah: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
