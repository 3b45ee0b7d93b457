"""Owner and mode of the files the MI transports create (the FIFO, the
unix datagram socket): ``fifo_user``/``fifo_group`` and
``unix_socket_user``/``unix_socket_group`` take a name or a number."""
import grp
import os
import pwd


def resolve_id(value, kind):
    """*value* (name, numeric string, int or None) -> uid/gid, -1 for none.

    *kind* is ``"user"`` or ``"group"``; raises ValueError for an unknown
    name.
    """
    if value is None or value == "":
        return -1
    if isinstance(value, int):
        return value
    value = value.strip()
    if value.lstrip("-").isdigit():
        return int(value)
    try:
        if kind == "user":
            return pwd.getpwnam(value).pw_uid
        return grp.getgrnam(value).gr_gid
    except KeyError:
        raise ValueError("unknown %s %r" % (kind, value)) from None


def set_mode_owner(path, mode, uid=-1, gid=-1):
    """chmod *path* to *mode* (umask does not apply) and chown it when a
    user or group is given.  Raises OSError."""
    os.chmod(path, mode)
    if uid != -1 or gid != -1:
        os.chown(path, uid, gid)


def remove_stale(path):
    """Remove whatever exists at *path* (1.3 deletes an old FIFO/socket
    file at start-up).  Raises OSError for anything but "not there"."""
    try:
        os.lstat(path)
    except FileNotFoundError:
        return False
    os.unlink(path)
    return True


def server_ids():
    """``(uid, gid)`` the server will run as (core ``user``/``group``, -u/-g),
    -1 where it keeps its own.  Files created before privileges are dropped
    go to that user, or the MI process could not open them afterwards."""
    from openser_py.core import cfgload, daemonize
    script = cfgload.current_script
    params = getattr(script, "params", None) or {}
    try:
        uid, gid = daemonize.resolve_user_group(
            _as_text(params.get("user")), _as_text(params.get("group")))
    except daemonize.DaemonError:
        return -1, -1      # reported by the core when it drops privileges
    return (-1 if uid is None else uid), (-1 if gid is None else gid)


def _as_text(value):
    return None if value is None else str(value)


def file_ids(user, group):
    """Owner for a created file: the module's *user*/*group* parameters,
    else the server's own user/group.  Raises ValueError."""
    uid = resolve_id(user, "user")
    gid = resolve_id(group, "group")
    s_uid, s_gid = server_ids()
    return (s_uid if uid == -1 else uid), (s_gid if gid == -1 else gid)
