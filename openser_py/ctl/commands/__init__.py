"""``openserctl`` command groups, one module each.

Every module has ``register(subparsers)`` adding its argparse parsers with
``set_defaults(func=cmd, needs="db"|"mi"|None)``; ``cmd(ctx, opts)`` prints
through the :class:`~.base.Context` and returns None/0 or an exit status.
"""
from openser_py.ctl.commands import (aliases, avp, doctor, micmds, ping,
                                     provisioning, server, subscriber, ul)

MODULES = (subscriber, aliases, ul, provisioning, avp, micmds, ping, server,
           doctor)


def register_all(sub):
    """Add every command's parser to *sub* (an argparse subparsers)."""
    for mod in MODULES:
        mod.register(sub)
