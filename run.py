"""112 Dispatch Bridge command line: `python run.py` serves; `report`, `import-calls`,
`import-telephony` work on the database only."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.settings import Settings, SettingsError, load_settings

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
    # Without a token (or with --sandbox) `run` starts the sandbox: the whole system on this machine.
    p.add_argument("--sandbox", action="store_true", help="mode latihan (sandbox) walau token diisi")
    p.add_argument("--scenario", metavar="FILE", help="skenario latihan (TOML) yang dimainkan di sandbox")
    p.add_argument("--auto", action="store_true", help="skenario dimainkan sendiri, tanpa peramban (CI)")
    try:
        from bot import backups
        from bot.reports import cli as report_cli
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
            has_token = bool(settings.telegram.token.get_secret_value())
            if args.live and (args.sandbox or args.scenario):
                print("--live tidak bisa digabung dengan --sandbox atau --scenario", file=sys.stderr)
                return 2
            if args.live and not has_token:
                print(NO_TOKEN, file=sys.stderr)
                return 2
            if args.sandbox or args.scenario or not has_token:
                return _sandbox(settings, args)
            from bot.compose import configure_logging, serve
            from storage.backup import BackupError, service_lock

            configure_logging()
            try:
                if settings.storage.postgres:  # many processes on one PostgreSQL: the lease picks one
                    return asyncio.run(serve(settings))
                # Held while serving: `restore` refuses to replace a database a running bot has open.
                with service_lock(settings.storage.path):
                    return asyncio.run(serve(settings))
            except BackupError as exc:
                print(f"Gagal mulai: {exc}", file=sys.stderr)
                return 2
        if command in ("backup", "restore"):
            from bot import backups

            return asyncio.run(backups.run_command(command, args, settings))
        from bot.reports.cli import run_command

        return asyncio.run(run_command(command, args, settings))
    except SettingsError as exc:
        print(f"Pengaturan salah: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _sandbox(settings: Settings, args: argparse.Namespace) -> int:
    from bot.compose import configure_logging
    from sandbox.app import main_sandbox
    from storage.backup import BackupError, service_lock

    configure_logging()
    try:
        # The sandbox's own database beside the production one, never the production one.
        with service_lock(Path(settings.storage.path).parent / "sandbox.sqlite3"):
            return main_sandbox(settings, args.scenario, auto=args.auto)
    except BackupError as exc:
        print(f"Gagal mulai: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
