"""setMyCommands / deleteMyCommands per chat (BotCommandScopeChat) through PTB, for bot/command_menu.py."""

from __future__ import annotations

from telegram import Bot, BotCommand, BotCommandScopeChat

from bot.command_menu import Commands


class PtbMenuPort:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def set_commands(self, chat_id: int, commands: Commands) -> None:
        await self.bot.set_my_commands(
            [BotCommand(n, d) for n, d in commands], scope=BotCommandScopeChat(chat_id)
        )

    async def delete_commands(self, chat_id: int) -> None:
        await self.bot.delete_my_commands(scope=BotCommandScopeChat(chat_id))
