"""OpenSER 1.3's standard tables (reference section 8), one definition.

Every table except ``version`` and ``gw_grp`` starts with
``id INT(10) UNSIGNED AUTO_INCREMENT PRIMARY KEY`` (PostgreSQL ``SERIAL``).
The ``version`` rows are the ones 1.3's creation scripts insert; each module
checks them at startup.  The presence and extra groups live in
:mod:`.presence` and :mod:`.extra`; :func:`tables` returns any group.
"""
from .model import (BLOB, DATETIME, FLOAT, INT, NO_DEFAULT, SMALLINT, STRING,
                    TEXT, TINYINT, Column, Key, Table)

#: the DATETIME default 1.3 uses for "last modified"/"created" columns
DT_1900 = "1900-01-01 00:00:01"
#: location/aliases ``expires`` default in 1.3
DT_EXPIRES = "2020-05-28 21:32:15"

__all__ = ["BLOB", "DATETIME", "FLOAT", "INT", "SMALLINT", "STRING", "TEXT",
           "TINYINT", "Column", "Key", "Table", "DT_1900", "GROUPS",
           "STANDARD", "id_col", "vc", "tables", "table", "group_of",
           "VERSIONS"]


def id_col():
    """``id INT(10) UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL``."""
    return Column("id", INT, 10, unsigned=True, autoinc=True,
                  doc="unique ID")


def vc(name, size, null=False, default=NO_DEFAULT, doc=""):
    """A VARCHAR column; ``vc(n, 64)`` is ``NOT NULL`` with no default."""
    return Column(name, STRING, size, null=null, default=default, doc=doc)


def vce(name, size, doc=""):
    """``VARCHAR(size) NOT NULL DEFAULT ''`` -- the most common 1.3 column."""
    return Column(name, STRING, size, default="", doc=doc)


def dt(name, default=DT_1900, doc=""):
    """``DATETIME NOT NULL DEFAULT default``."""
    return Column(name, DATETIME, default=default, doc=doc)


def i11(name, default=NO_DEFAULT, null=False, doc=""):
    """``INT(11)``."""
    return Column(name, INT, 11, null=null, default=default, doc=doc)


def u10(name, doc=""):
    """``INT(10) UNSIGNED NOT NULL``."""
    return Column(name, INT, 10, unsigned=True, doc=doc)


def _t(name, version, module, cols, keys=(), doc="", id=True):
    return Table(name, version, module, ([id_col()] if id else []) + cols,
                 keys, doc=doc, group="standard")


def _contacts(name, idx):
    """``location`` (usrloc) and ``aliases`` (registrar): same layout."""
    return _t(name, 1004, "usrloc" if name == "location" else "registrar", [
        vce("username", 64, "user name part of the AOR"),
        vc("domain", 64, null=True, default=None,
           doc="domain part of the AOR (use_domain)"),
        vce("contact", 255, "Contact URI"),
        vc("received", 128, null=True, default=None,
           doc="source address the REGISTER came from (NAT)"),
        vc("path", 128, null=True, default=None, doc="Path header value"),
        dt("expires", DT_EXPIRES, "expiry date/time of the binding"),
        Column("q", FLOAT, "10,2", default=1.0, doc="q value"),
        vc("callid", 255, default="Default-Call-ID", doc="Call-ID"),
        i11("cseq", 13, doc="CSeq number"),
        dt("last_modified", doc="date/time of the last update"),
        i11("flags", 0, doc="internal flags"),
        i11("cflags", 0, doc="branch flags"),
        vce("user_agent", 255, "User-Agent"),
        vc("socket", 64, null=True, default=None,
           doc="local socket the REGISTER arrived on"),
        i11("methods", None, null=True, doc="supported methods bitmap"),
    ], [Key(idx, ("username", "domain", "contact"))],
        doc="Registered contacts" if name == "location" else
        "Aliases kept by the registrar (usrloc layout)")


def _acc(name, version):
    return _t(name, version, "acc", [
        vce("method", 16, "request method"),
        vce("from_tag", 64, "From tag"),
        vce("to_tag", 64, "To tag"),
        vce("callid", 64, "Call-ID"),
        vce("sip_code", 3, "reply status code"),
        vce("sip_reason", 32, "reply reason phrase"),
        Column("time", DATETIME, doc="date/time of the accounted event"),
    ], [Key("callid_idx", ("callid",))],
        doc="Accounting records" if name == "acc" else
        "Missed calls (failed INVITEs) recorded by acc")


STANDARD = [
    Table("version", 0, "core", [
        vc("table_name", 32, doc="table name"),
        Column("table_version", INT, unsigned=True, default=0,
               doc="version of the table's layout"),
    ], doc="Layout version of every table; modules check it at startup"),
    _acc("acc", 4),
    _t("dbaliases", 1, "alias_db", [
        vce("alias_username", 64, "alias user name"),
        vce("alias_domain", 64, "alias domain"),
        vce("username", 64, "user name the alias points to"),
        vce("domain", 64, "domain the alias points to"),
    ], [Key("alias_idx", ("alias_username", "alias_domain"), unique=True),
        Key("target_idx", ("username", "domain"))],
        doc="Aliases looked up by alias_db_lookup()"),
    _t("lcr", 2, "lcr", [
        vc("prefix", 16, null=True, default=None, doc="R-URI user prefix"),
        vc("from_uri", 64, null=True, default=None, doc="From URI pattern"),
        Column("grp_id", INT, unsigned=True, doc="gateway group"),
        Column("priority", TINYINT, unsigned=True, doc="route priority"),
    ], [Key("prefix_idx", ("prefix",)), Key("from_uri_idx", ("from_uri",)),
        Key("grp_id_idx", ("grp_id",))], doc="Least cost routes"),
    _t("domain", 1, "domain", [
        vce("domain", 64, "domain served by this proxy"),
        dt("last_modified"),
    ], [Key("domain_idx", ("domain",), unique=True)],
        doc="Local domains (is_from_local/is_uri_host_local)"),
    _t("grp", 2, "group", [
        vce("username", 64), vce("domain", 64),
        vce("grp", 64, "group name"), dt("last_modified"),
    ], [Key("account_group_idx", ("username", "domain", "grp"), unique=True)],
        doc="Group membership (is_user_in)"),
    _t("uri", 1, "uri_db", [
        vce("username", 64), vce("domain", 64),
        vce("uri_user", 64, "user part allowed in URIs"), dt("last_modified"),
    ], [Key("account_idx", ("username", "domain", "uri_user"), unique=True)],
        doc="URI user parts allowed per account (check_to/check_from)"),
    _t("speed_dial", 2, "speeddial", [
        vce("username", 64), vce("domain", 64),
        vce("sd_username", 64, "speed dial user"),
        vce("sd_domain", 64, "speed dial domain"),
        vce("new_uri", 128, "target URI"),
        vce("fname", 64, "first name"), vce("lname", 64, "last name"),
        vce("description", 64),
    ], [Key("speed_dial_idx", ("username", "domain", "sd_domain",
                               "sd_username"), unique=True)],
        doc="Speed dial entries"),
    _t("gw", 5, "lcr", [
        vc("gw_name", 128, doc="gateway name"),
        Column("grp_id", INT, unsigned=True, doc="gateway group"),
        vc("ip_addr", 15, doc="gateway IP address"),
        Column("port", SMALLINT, unsigned=True, null=True, doc="port"),
        Column("uri_scheme", TINYINT, unsigned=True, null=True,
               doc="1 = sip, 2 = sips"),
        Column("transport", TINYINT, unsigned=True, null=True,
               doc="1 = udp, 2 = tcp, 3 = tls"),
        Column("strip", TINYINT, unsigned=True, null=True,
               doc="digits to strip"),
        vc("prefix", 16, null=True, default=None, doc="prefix to add"),
        Column("dm", TINYINT, unsigned=True, default=1,
               doc="dead-monitoring flag"),
    ], [Key("gw_name_idx", ("gw_name",), unique=True),
        Key("grp_id_idx", ("grp_id",))], doc="Gateways (lcr)"),
    _t("pdt", 1, "pdt", [
        vc("sdomain", 128, doc="source domain"),
        vc("prefix", 32, doc="prefix"),
        vce("domain", 128, "domain the prefix maps to"),
    ], [Key("sdomain_prefix_idx", ("sdomain", "prefix"), unique=True)],
        doc="Prefix to domain translation"),
    _t("subscriber", 6, "auth_db", [
        vce("username", 64), vce("domain", 64),
        vce("password", 25, "clear-text password (STORE_PLAINTEXT_PW)"),
        vce("first_name", 64), vce("last_name", 64),
        vce("email_address", 64),
        dt("datetime_created"),
        vce("ha1", 64, "MD5(username:realm:password)"),
        vce("ha1b", 64, "MD5(username@domain:realm:password)"),
        vc("timezone", 64, null=True, default=None),
        vc("rpid", 64, null=True, default=None, doc="Remote-Party-ID"),
    ], [Key("account_idx", ("username", "domain"), unique=True),
        Key("username_idx", ("username",))],
        doc="Subscribers and their credentials (auth_db)"),
    _contacts("location", "account_contact_idx"),
    _t("re_grp", 1, "group", [
        vce("reg_exp", 128, "regular expression matched against the URI"),
        i11("group_id", 0, doc="group ID"),
    ], [Key("group_idx", ("group_id",))], doc="Regexp groups (get_user_group)"),
    _t("trusted", 4, "permissions", [
        vc("src_ip", 50, doc="source IP address"),
        vc("proto", 4, doc="transport (any, udp, tcp, tls, sctp, none)"),
        vc("from_pattern", 64, null=True, default=None,
           doc="regexp matched against the From URI"),
        vc("tag", 32, null=True, doc="tag stored in peer_tag_avp"),
    ], [Key("peer_idx", ("src_ip",))], doc="Trusted peers (allow_trusted)"),
    _t("address", 3, "permissions", [
        Column("grp", SMALLINT, 5, unsigned=True, default=0, doc="group"),
        vc("ip_addr", 15, doc="IP address"),
        Column("mask", TINYINT, default=32, doc="network mask length"),
        Column("port", SMALLINT, 5, unsigned=True, default=0,
               doc="port (0 = any)"),
    ], doc="Address groups (allow_address/allow_source_address)"),
    _acc("missed_calls", 3),
    _t("usr_preferences", 2, "avpops", [
        vce("uuid", 64, "unique user ID"),
        vc("username", 128, default=0, doc="user name"),
        vce("domain", 64), vce("attribute", 32, "AVP name"),
        i11("type", 0, doc="AVP type (0 = string name and value)"),
        vce("value", 128, "AVP value"), dt("last_modified"),
    ], [Key("ua_idx", ("uuid", "attribute")),
        Key("uda_idx", ("username", "domain", "attribute"))],
        doc="AVPs loaded by avp_db_load()"),
    _contacts("aliases", "alias_idx"),
    Table("gw_grp", 1, "lcr", [
        Column("grp_id", INT, unsigned=True, autoinc=True,
               doc="gateway group ID"),
        vc("grp_name", 64, doc="group name"),
    ], doc="Gateway groups (lcr)"),
    _t("silo", 5, "msilo", [
        vce("src_addr", 128, "sender address"),
        vce("dst_addr", 128, "recipient address"),
        vce("username", 64), vce("domain", 64),
        Column("inc_time", INT, default=0, doc="arrival time"),
        Column("exp_time", INT, default=0, doc="expiry time"),
        Column("snd_time", INT, default=0, doc="reminder time"),
        vc("ctype", 32, default="text/plain", doc="content type"),
        Column("body", BLOB, doc="message body"),
    ], [Key("account_idx", ("username", "domain"))],
        doc="Stored messages (msilo)"),
    _t("dialog", 2, "dialog", [
        u10("hash_entry"), u10("hash_id"),
        vc("callid", 255), vc("from_uri", 128), vc("from_tag", 64),
        vc("to_uri", 128), vc("to_tag", 64),
        vc("caller_cseq", 7), vc("callee_cseq", 7),
        vc("caller_route_set", 512, null=True),
        vc("callee_route_set", 512, null=True),
        vc("caller_contact", 128), vc("callee_contact", 128),
        vc("caller_sock", 64), vc("callee_sock", 64),
        u10("state"), u10("start_time"), u10("timeout"),
    ], [Key("hash_idx", ("hash_entry", "hash_id"))],
        doc="Ongoing dialogs (dialog module, db_mode)"),
    _t("dispatcher", 1, "dispatcher", [
        Column("setid", INT, default=0, doc="destination set ID"),
        vce("destination", 192, "SIP URI of the destination"),
        vce("description", 64),
    ], doc="Dispatcher destination sets"),
]
for _tab in STANDARD:
    _tab.group = "standard"

from . import extra, presence  # noqa: E402  (they import the helpers above)

GROUPS = {
    "standard": STANDARD,
    "presence": presence.PRESENCE,
    "extra": extra.EXTRA,
}

#: table name -> version row, for every table of every group
VERSIONS = {t.name: t.version for g in GROUPS.values() for t in g
            if t.name != "version"}


def tables(group="standard"):
    """The :class:`Table` list of *group* (``standard``, ``presence``,
    ``extra``, or ``all``), in creation order."""
    if group == "all":
        return [t for g in ("standard", "presence", "extra")
                for t in GROUPS[g]]
    try:
        return list(GROUPS[group])
    except KeyError:
        raise ValueError("unknown table group %r (standard, presence, "
                         "extra, all)" % (group,)) from None


def table(name):
    """The :class:`Table` called *name*, whatever its group (KeyError)."""
    for tab in tables("all"):
        if tab.name == name:
            return tab
    raise KeyError("no table %r in the OpenSER 1.3 schema" % (name,))


def group_of(name):
    """Group name (``standard``/``presence``/``extra``) of table *name*."""
    return table(name).group
