"""The ``extra`` table group of OpenSER 1.3 (imc, cpl, siptrace,
domainpolicy, carrierroute).

``openserdbctl extra`` creates these (1.3's EXTRA_MODULES scripts).
Versions from reference section 8.1.
"""
from .model import DATETIME, FLOAT, INT, TEXT, Column, Key, Table
from .tables import DT_1900, i11, id_col, vc, vce


def _t(name, version, module, cols, keys=(), doc="", id=True):
    return Table(name, version, module, ([id_col()] if id else []) + cols,
                 keys, doc=doc, group="extra")


EXTRA = [
    _t("imc_rooms", 1, "imc", [
        vc("name", 64, doc="room name"), vc("domain", 64), i11("flag"),
    ], [Key("name_domain_idx", ("name", "domain"), unique=True)],
        doc="Instant messaging conference rooms"),
    _t("imc_members", 1, "imc", [
        vc("username", 64), vc("domain", 64), vc("room", 64), i11("flag"),
    ], [Key("account_room_idx", ("username", "domain", "room"), unique=True)],
        doc="Members of the imc rooms"),
    _t("cpl", 1, "cpl-c", [
        vc("username", 64), vce("domain", 64),
        Column("cpl_xml", TEXT, null=True, doc="CPL script (XML)"),
        Column("cpl_bin", TEXT, null=True, doc="compiled CPL script"),
    ], [Key("account_idx", ("username", "domain"), unique=True)],
        doc="CPL scripts"),
    _t("sip_trace", 1, "siptrace", [
        Column("date", DATETIME, default=DT_1900, doc="capture time"),
        vce("callid", 255), vce("traced_user", 128),
        Column("msg", TEXT, doc="the SIP message"),
        vce("method", 50), vce("status", 128),
        vce("fromip", 50), vce("toip", 50), vce("fromtag", 64),
        vce("direction", 4, "in or out"),
    ], [Key("traced_user_idx", ("traced_user",)), Key("date_idx", ("date",)),
        Key("fromip_idx", ("fromip",)), Key("callid_idx", ("callid",))],
        doc="Traced SIP messages (siptrace)"),
    _t("domainpolicy", 2, "domainpolicy", [
        vc("rule", 255), vc("type", 255),
        vc("att", 255, null=True), vc("val", 128, null=True),
        vc("comment", 255),
    ], [Key("rav_idx", ("rule", "att", "val"), unique=True),
        Key("rule_idx", ("rule",))], doc="Domain policies (domainpolicy)"),
    _t("carrierroute", 1, "carrierroute", [
        Column("carrier", INT, 10, unsigned=True, default=0),
        vce("scan_prefix", 64), vce("domain", 64),
        Column("prob", FLOAT, default=0, doc="probability"),
        Column("strip", INT, 11, unsigned=True, default=0),
        vce("rewrite_host", 128), vce("rewrite_prefix", 64),
        vce("rewrite_suffix", 64),
        vc("comment", 255, null=True, default=None),
    ], doc="Carrier routes (carrierroute)"),
    _t("route_tree", 1, "carrierroute", [
        Column("id", INT, 10, unsigned=True, primary=True, default=0),
        vc("carrier", 64, null=True, default=None),
    ], doc="Carrier names of carrierroute", id=False),
]
