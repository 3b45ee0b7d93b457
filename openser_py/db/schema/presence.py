"""The ``presence`` table group of OpenSER 1.3 (presence, pua, rls).

``openserdbctl presence`` creates these (1.3's ``presence-create.sql`` and
``rls-create.sql``).  Versions from reference section 8.1.
"""
from .model import BLOB, TEXT, Column, Key, Table
from .tables import i11, id_col, vc


def _t(name, version, module, cols, keys=(), doc=""):
    return Table(name, version, module, [id_col()] + cols, keys, doc=doc,
                 group="presence")


def _dialog_cols(callid_size, contact_size):
    """Columns shared by ``active_watchers`` and ``rls_watchers``."""
    return [
        vc("presentity_uri", 128, doc="presentity URI"),
        vc("watcher_username", 64), vc("watcher_domain", 64),
        vc("to_user", 64), vc("to_domain", 64),
        vc("event", 64, default="presence", doc="event package"),
        vc("event_id", 64, null=True, doc="Event header id parameter"),
        vc("to_tag", 64), vc("from_tag", 64),
        vc("callid", callid_size),
        i11("local_cseq"), i11("remote_cseq"),
        vc("contact", contact_size),
        Column("record_route", TEXT, null=True, doc="route set"),
        i11("expires"),
        i11("status", 2, doc="subscription state"),
        vc("reason", 64),
        i11("version", 0, doc="NOTIFY body version"),
        vc("socket_info", 64), vc("local_contact", 128),
    ]


PRESENCE = [
    _t("presentity", 2, "presence", [
        vc("username", 64), vc("domain", 64), vc("event", 64),
        vc("etag", 64), i11("expires"), i11("received_time"),
        Column("body", BLOB, doc="published document"),
    ], [Key("presentity_idx", ("username", "domain", "event", "etag"),
            unique=True)], doc="Published presence documents"),
    _t("active_watchers", 9, "presence", _dialog_cols(64, 64),
       [Key("active_watchers_idx", ("presentity_uri", "callid", "to_tag",
                                    "from_tag"), unique=True)],
       doc="Active subscriptions (presence, db_update_period)"),
    _t("watchers", 3, "presence", [
        vc("presentity_uri", 128), vc("watcher_username", 64),
        vc("watcher_domain", 64),
        vc("event", 64, default="presence"),
        i11("status"), vc("reason", 64, null=True), i11("inserted_time"),
    ], [Key("watcher_idx", ("presentity_uri", "watcher_username",
                            "watcher_domain", "event"), unique=True)],
        doc="Subscription authorization state of watchers"),
    _t("xcap", 3, "presence_xml", [
        vc("username", 64), vc("domain", 64),
        Column("doc", BLOB, doc="XML document"),
        i11("doc_type"), vc("etag", 64), i11("source"),
        vc("doc_uri", 128), i11("port"),
    ], [Key("account_doc_type_idx", ("username", "domain", "doc_type",
                                     "doc_uri"), unique=True),
        Key("source_idx", ("source",))], doc="XCAP documents"),
    _t("pua", 5, "pua", [
        vc("pres_uri", 128), vc("pres_id", 64),
        i11("event"), i11("expires"), i11("desired_expires"), i11("flag"),
        vc("etag", 64), vc("tuple_id", 64, null=True),
        vc("watcher_uri", 128), vc("call_id", 64),
        vc("to_tag", 64), vc("from_tag", 64), i11("cseq"),
        Column("record_route", TEXT, null=True),
        vc("contact", 128), i11("version"),
        Column("extra_headers", TEXT),
    ], doc="Presence user agent state (pua)"),
    _t("rls_presentity", 0, "rls", [
        vc("rlsubs_did", 512), vc("resource_uri", 128),
        vc("content_type", 64),
        Column("presence_state", BLOB), i11("expires"), i11("updated"),
        i11("auth_state"), vc("reason", 64),
    ], [Key("rls_presentity_idx", ("rlsubs_did", "resource_uri"),
            unique=True), Key("updated_idx", ("updated",))],
        doc="Resource list server: state of list members"),
    _t("rls_watchers", 1, "rls", _dialog_cols(64, 64),
       [Key("rls_watcher_idx", ("presentity_uri", "callid", "to_tag",
                                "from_tag"), unique=True)],
       doc="Resource list server subscriptions"),
]
