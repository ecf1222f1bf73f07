"""The command reference in docs/cli.md, generated from the click commands themselves.

Regenerate with `python -m qa.cli.reference > docs/cli.md`; tests/test_docs.py fails while the
file differs from what this prints.
"""

from __future__ import annotations

import click

from qa.cli import cli

WIDTH = 100  # fixed, so the text does not depend on the terminal that generates it


def command_help(command: click.Command, name: str, parent: click.Context) -> str:
    context = click.Context(command, info_name=name, parent=parent, terminal_width=WIDTH, max_content_width=WIDTH)
    return command.get_help(context)


def reference(group: click.Group = cli, name: str = "qa") -> str:
    """Markdown: the group's help, then each command's, in the order `qa --help` lists them."""
    root = click.Context(group, info_name=name, terminal_width=WIDTH, max_content_width=WIDTH)
    parts = [
        f"# `{name}` command reference",
        "",
        "Generated from the code: `python -m qa.cli.reference > docs/cli.md` (a test checks it is current).",
        "",
        "```",
        group.get_help(root),
        "```",
    ]
    for command_name in group.list_commands(root):
        command = group.get_command(root, command_name)
        if command is None or command.hidden:
            continue
        parts += ["", f"## {name} {command_name}", "", "```", command_help(command, command_name, root), "```"]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    click.echo(reference(), nl=False)
