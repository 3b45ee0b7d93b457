"""acc -- accounting of transactions to syslog and to a database.

OpenSER 1.3's acc (reference §4.13, tables ``acc``/``missed_calls`` §8):
``acc_mod`` (parameters, start-up, DB connection), ``acc_logic`` (tm
callbacks deciding what is accounted, script functions), ``acc_core``
(syslog lines and DB rows).  RADIUS and DIAMETER back-ends are not built.
This file holds the exports only.
"""
from openser_py.core.exports import (FAILURE_ROUTE, INT_PARAM, REQUEST_ROUTE,
                                     STR_PARAM, CmdExport, ModuleExports,
                                     ParamExport)
from openser_py.modules.acc import acc_logic as L
from openser_py.modules.acc import acc_mod
from openser_py.modules.acc.acc_mod import cfg

_RT = REQUEST_ROUTE | FAILURE_ROUTE


def _int(name, doc):
    return ParamExport(name, INT_PARAM, cfg, doc=doc)


def _str(name, doc):
    return ParamExport(name, STR_PARAM, cfg, doc=doc)


def _col(name, default):
    return _str(name, "Name of the %s column of the acc and missed_calls "
                "tables (default \"%s\")." % (default, default))


exports = ModuleExports(
    name="acc",
    cmds=(
        CmdExport("acc_log_request", L.w_acc_log_request, 1, L.acc_fixup,
                  None, _RT, doc=(
                      "Write an accounting record of the current request to "
                      "syslog now (\"ACC: request accounted: ...\"). The "
                      "comment gives code and reason (\"200 OK\") or only a "
                      "reason."), params_doc=("comment",)),
        CmdExport("acc_db_request", L.w_acc_db_request, 2, L.acc_fixup,
                  None, _RT, doc=(
                      "Insert an accounting record of the current request "
                      "into the given table now (db_url must be set). The "
                      "comment gives code and reason (\"200 OK\")."),
                  params_doc=("comment", "table")),
    ),
    params=(
        _int("early_media", "If 1, a relayed 183 is accounted too."),
        _int("failed_transaction_flag", "Message flag: also account "
             "transactions completed with a final reply >= 300."),
        _int("report_ack", "If 1, end-to-end ACKs of accounted INVITEs are "
             "accounted (\"ACC: request acknowledged\")."),
        _int("report_cancels", "If 1, CANCEL transactions are accounted "
             "like other requests."),
        _str("multi_leg_info", "Per-leg data: \"name=$avp(..);name2=$avp(..)"
             "\" (AVPs only); every value of the AVPs is a leg, logged on "
             "the same line and inserted as one DB row per leg."),
        _int("detect_direction", "If 1, in-dialog requests flowing "
             "upstream (rr is_direction, needs rr's append_fromtag) get "
             "From and To tags swapped in the record."),
        _int("log_flag", "Message flag that enables syslog accounting of "
             "the transaction."),
        _int("log_missed_flag", "Message flag that enables syslog logging "
             "of missed calls (INVITEs ending with a final >= 300)."),
        _int("log_level", "Log level of the records (default 2, NOTICE)."),
        _str("log_extra", "Extra values of syslog records: "
             "\"name=$pv;name2=$pv\"."),
        _int("db_flag", "Message flag that enables DB accounting of the "
             "transaction (table db_table_acc)."),
        _int("db_missed_flag", "Message flag that enables DB recording of "
             "missed calls (table db_table_missed_calls)."),
        _str("db_extra", "Extra columns of DB records: "
             "\"column=$pv;column2=$pv\" (the columns must exist)."),
        _str("db_url", "Database URL; DB accounting is off without it."),
        _str("db_table_acc", "Table of accounted transactions (default "
             "\"acc\")."),
        _str("db_table_missed_calls", "Table of missed calls (default "
             "\"missed_calls\")."),
        _col("acc_method_column", "method"),
        _col("acc_from_tag_column", "from_tag"),
        _col("acc_to_tag_column", "to_tag"),
        _col("acc_callid_column", "callid"),
        _col("acc_sip_code_column", "sip_code"),
        _col("acc_sip_reason_column", "sip_reason"),
        _col("acc_time_column", "time"),
    ),
    mod_init=acc_mod.mod_init,
    child_init=acc_mod.child_init,
    destroy_f=acc_mod.destroy,
    deps=("tm", "rr (only with detect_direction)",
          "a database driver (db_mysql, db_postgres or db_sqlite) with "
          "db_url"),
)
