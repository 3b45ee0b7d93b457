"""check_to / check_from / does_uri_exist (OpenSER ``uri_db/checks.c``).

* ``check_to()`` / ``check_from()`` need credentials authorized by
  www_authorize/proxy_authorize (or pv_*) on the same request.  With
  ``use_uri_table=0`` the To/From URI user must equal the digest username's
  user part (case-insensitive); with ``use_uri_table=1`` the ``uri`` table
  must hold a row (username = digest user, domain = digest realm,
  uri_user = To/From user).
* ``does_uri_exist()``: the R-URI user (and host, with ``use_domain=1``)
  is in the subscriber table (``use_uri_table=0``) or in the uri table's
  ``uri_user`` (and domain) columns.

All three return 1 (true) or -1 (false; errors are logged).  Queries are
parameterized: URI users are matched literally.
"""
from openser_py.core import dset
from openser_py.core.dprint import LM_DBG, LM_ERR
from openser_py.core.pv_msg import AUTHORIZED_CRED_KEY
from openser_py.modules.uri_db import uridb_mod
from openser_py.modules.uri_db.uridb_mod import cfg, state
from openser_py.parser.errors import SipParseError
from openser_py.parser.parse_uri import parse_uri


def _query(table, keys, vals, cols):
    """Rows of ``SELECT cols FROM table WHERE keys = vals``, None on error."""
    db_api = uridb_mod._db_api()
    if state.con is None and uridb_mod.connect() < 0:
        return None
    try:
        state.con.use_table(table)
        res = state.con.query(keys, ["="] * len(keys), vals, cols)
    except db_api.DbError as exc:
        LM_ERR("error while querying database: %s", exc)
        return None
    return list(res.rows)


def check_username(msg, uri_text):
    """Compare *uri_text*'s user with the authorized credentials."""
    digest = msg.ctx.get(AUTHORIZED_CRED_KEY)
    if digest is None:
        LM_ERR("no authorized credentials found (error in scripts)")
        return -1
    try:
        uri = parse_uri(uri_text)
    except SipParseError as exc:
        LM_ERR("error while parsing URI: %s", exc.reason)
        return -1
    if not uri.user:
        LM_ERR("username not found in URI")
        return -1
    if cfg.use_uri_table:
        rows = _query(cfg.uri_table,
                      [cfg.uri_user_column, cfg.uri_domain_column,
                       cfg.uri_uriuser_column],
                      [digest.user or "", digest.realm or "", uri.user],
                      [cfg.uri_user_column])
        if rows is None:
            return -1
        if not rows:
            LM_DBG("From/To user '%s' is spoofed", uri.user)
            return -1
        LM_DBG("From/To user '%s' is a subscriber", uri.user)
        return 1
    if digest.user and uri.user.lower() == digest.user.lower():
        LM_DBG("digest username and URI username match")
        return 1
    LM_DBG("digest username and URI username do NOT match")
    return -1


def w_check_to(msg):
    """``check_to()``."""
    try:
        to = msg.to
    except SipParseError as exc:
        LM_ERR("error while parsing To header: %s", exc.reason)
        return -1
    if to is None:
        LM_ERR("no To header")
        return -1
    return check_username(msg, to.uri)


def w_check_from(msg):
    """``check_from()``."""
    try:
        frm = msg.from_
    except SipParseError as exc:
        LM_ERR("error while parsing From header: %s", exc.reason)
        return -1
    if frm is None:
        LM_ERR("no From header")
        return -1
    return check_username(msg, frm.uri)


def w_does_uri_exist(msg):
    """``does_uri_exist()``: the R-URI user is known."""
    try:
        uri = parse_uri(dset.get_request_uri(msg))
    except SipParseError as exc:
        LM_ERR("error while parsing URI: %s", exc.reason)
        return -1
    if cfg.use_uri_table:
        table = cfg.uri_table
        keys = [cfg.uri_uriuser_column, cfg.uri_domain_column]
    else:
        table = cfg.subscriber_table
        keys = [cfg.subscriber_user_column, cfg.subscriber_domain_column]
    vals = [uri.user, uri.host]
    n = 2 if cfg.use_domain else 1
    rows = _query(table, keys[:n], vals[:n], keys[:1])
    if rows is None:
        return -1
    if not rows:
        LM_DBG("user in request uri does not exist")
        return -1
    LM_DBG("user in request uri does exist")
    return 1
