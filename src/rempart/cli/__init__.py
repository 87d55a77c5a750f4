"""The `rempart` command: one module per sub-command, each with a `register(app)`.

Start-up within 0.3 s (issue 26): the root declares its sub-commands by name and imports a
sub-command's module only when that sub-command is run or asked for its help
(`LazyCommands`); `rempart --help` lists them with their one-line help from the catalogue,
importing none. Rich (tables, markup) is imported by the code that prints, never for help.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Iterator, MutableMapping
from typing import Annotated, Any

import typer
import typer.core
import typer.main

from rempart.core.errors import RempartError
from rempart.core.i18n import CATALOG, Lang, label, t

# One line per sub-command module; each defines `register(app: typer.Typer) -> None` and
# registers one command or group named as the module. In the order `rempart --help` lists
# them (single commands first, then groups, as Typer lists a tree registered in one app).
COMMANDS: tuple[str, ...] = (
    "rempart.cli.init",
    "rempart.cli.ingest",
    "rempart.cli.plan",
    "rempart.cli.triage",
    "rempart.cli.detect",
    "rempart.cli.alerts",
    "rempart.cli.incident",
    "rempart.cli.report",
    "rempart.cli.demo",
    "rempart.cli.devices",
    "rempart.cli.serve",
    "rempart.cli.declare",
    "rempart.cli.email",
    "rempart.cli.twin",
    "rempart.cli.intel",
    "rempart.cli.users",
    "rempart.cli.board",
    "rempart.cli.crisis",
    "rempart.cli.evidence",
)


def build_command(module: str, name: str) -> Any:
    """The click command (or group) `name` that `module`'s `register` declares, built by
    Typer as if registered in the root app (same settings)."""
    holder = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    importlib.import_module(module).register(holder)
    return typer.main.get_group(holder).commands[name]


class LazyCommands(MutableMapping[str, Any]):
    """The root's sub-commands by name, each built from its module the first time it is
    looked up; iterating the names imports nothing, reading the values imports them all.

    `on_load(hook)` runs `hook(name, command)` on every command built, before or after (the
    help's language and plain layout); `preview(name)` is a built command, or a stand-in
    holding only the one-line help the hooks give it, so listing the commands imports none."""

    def __init__(self, modules: dict[str, str]) -> None:
        self.modules = dict(modules)  # name -> module, in listing order
        self.built: dict[str, Any] = {}
        self.hooks: list[Callable[[str, Any], None]] = []

    def __getitem__(self, name: str) -> Any:
        if name not in self.built:
            if name not in self.modules:
                raise KeyError(name)
            command = build_command(self.modules[name], name)
            for hook in self.hooks:
                hook(name, command)
            self.built[name] = command
        return self.built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self.modules.setdefault(name, "")
        self.built[name] = command

    def __delitem__(self, name: str) -> None:
        del self.modules[name]
        self.built.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self.modules

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.modules))

    def __len__(self) -> int:
        return len(self.modules)

    def on_load(self, hook: Callable[[str, Any], None]) -> None:
        self.hooks.append(hook)
        for name, command in self.built.items():
            hook(name, command)

    def preview(self, name: str) -> Any:
        if name in self.built or not self.hooks:
            return self[name]
        stand_in = typer.core.TyperCommand(name=name, help=None)
        for hook in self.hooks:
            hook(name, stand_in)
        return stand_in if stand_in.help is not None else self[name]


class RootGroup(typer.core.TyperGroup):
    """The `rempart` group: its sub-commands are a `LazyCommands` of `COMMANDS`."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        lazy = LazyCommands({m.rsplit(".", 1)[1]: m for m in COMMANDS})
        for name, command in self.commands.items():
            lazy[name] = command
        self.commands = lazy
        self.listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if self.listing and isinstance(self.commands, LazyCommands):
            return self.commands.preview(cmd_name) if cmd_name in self.commands else None
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        self.listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self.listing = False


app = typer.Typer(
    name="rempart",
    help="Rempart: cyber-défense pour l'hôpital (voir, détecter, contenir, rétablir, répéter).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=RootGroup,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("rempart")
        except PackageNotFoundError:  # run from a source tree that is not installed
            number = "unknown"
        print(f"rempart {number}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help="Affiche la version et quitte.",
        ),
    ] = False,
) -> None:
    """Rempart: cyber-défense pour l'hôpital (voir, détecter, contenir, rétablir, répéter)."""


def help_lang(argv: list[str], env: dict[str, str] | os._Environ[str]) -> Lang:
    """The language of the help, chosen once at start: `--lang en` (or `--lang=en`) on the
    command line, else $REMPART_LANG, else French."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return "en" if argv[i + 1] == "en" else "fr"
        if arg.startswith("--lang="):
            return "en" if arg.split("=", 1)[1] == "en" else "fr"
    return "en" if env.get("REMPART_LANG", "").lower().startswith("en") else "fr"


def localise_help(command: Any, lang: Lang, path: str = "root") -> None:
    """Put every help text of `command` (and its sub-commands) in `lang`, from the
    catalogue (help.<command>[.<param>], help.opt.<param>); a missing key keeps the text.

    Typer evaluates help strings once, at import, in whichever language the code has; this
    pass rewrites the click commands it built, so the help reads in one language."""
    key = f"help.{path}"
    if key in CATALOG:
        command.help = t(key, lang)
    # (duck-typed: Typer carries its own copy of click)
    for param in getattr(command, "params", ()):
        name = getattr(param, "name", None)
        if name is None or not hasattr(param, "help"):
            continue
        for k in (f"{key}.{name}", f"help.opt.{name}"):
            if k in CATALOG:
                param.help = t(k, lang)
                break
    _localise_help_option(command, lang)
    subs = getattr(command, "commands", None)
    if isinstance(subs, LazyCommands):  # each when built (`rempart` alone: the root's)
        subs.on_load(lambda name, sub: localise_help(sub, lang, name))
    elif isinstance(subs, dict):
        for name, sub in subs.items():
            localise_help(sub, lang, name if path == "root" else f"{path}.{name}")


def _localise_help_option(command: Any, lang: Lang) -> None:
    """Click makes `--help` itself, with its own English text: said in `lang` too."""
    make = getattr(command, "get_help_option", None)
    if make is None or "help.opt.help" not in CATALOG:
        return

    def get_help_option(ctx: Any) -> Any:
        option = make(ctx)
        if option is not None:
            option.help = t("help.opt.help", lang)
        return option

    command.get_help_option = get_help_option


def _plain_absent(param: Any) -> None:
    """An absent option (None), or a text given to a text option, skips Typer's pydantic
    validation, which would return it unchanged (None, () for a list, the text): validating it
    imported pydantic, a fifth of a second of every start."""
    if getattr(param, "rempart_plain", False) or not hasattr(param, "get_runtime_param"):
        return
    process = param.process_value
    multi = bool(param.multiple or param.nargs == -1)
    text = getattr(getattr(param, "type_descriptor", None), "annotation", None) is str

    def process_value(ctx: Any, value: Any) -> Any:
        if value is None and not param.required:
            value = () if multi else None
        elif not (text and not multi and isinstance(value, str)):
            return process(ctx, value)
        return param.callback(ctx, param, value) if param.callback is not None else value

    param.process_value = process_value
    param.rempart_plain = True


def plain_help(command: Any) -> None:
    """Start-up within 0.3 s: absent options of every command, `--help` included, read without
    pydantic (`_plain_absent`; `rempart board add --help` read the `board` group's absent
    options), and help printed as plain text (Typer's Rich layout imports Markdown and
    traceback renderers, a tenth of a second, to draw boxes around the same lines)."""
    if hasattr(command, "rich_markup_mode"):
        command.rich_markup_mode = None
    get = command.get_help_option

    def get_help_option(ctx: Any) -> Any:
        opt = get(ctx)
        if opt is not None:
            _plain_absent(opt)
        return opt

    command.get_help_option = get_help_option
    for param in getattr(command, "params", ()):
        _plain_absent(param)
    subs = getattr(command, "commands", None)
    if isinstance(subs, LazyCommands):
        subs.on_load(lambda _name, sub: plain_help(sub))
    elif isinstance(subs, dict):
        for sub in subs.values():
            plain_help(sub)


def main() -> None:
    """Entry point: Rempart's own errors become a one-line message and exit code 2."""
    lang = help_lang(sys.argv[1:], os.environ)
    command = typer.main.get_command(app)
    localise_help(command, lang)
    plain_help(command)
    try:
        command(prog_name="rempart")
    except RempartError as exc:
        from rich.markup import escape

        from rempart.cli.common import err_console

        prefix = escape(label(t("error", lang), lang).rstrip())
        err_console.print(f"[bold red]{prefix}[/] {escape(exc.message(lang))}")
        raise SystemExit(2) from exc


__all__ = [
    "COMMANDS",
    "LazyCommands",
    "RootGroup",
    "app",
    "build_command",
    "help_lang",
    "localise_help",
    "main",
    "plain_help",
]
