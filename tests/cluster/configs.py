"""Configs of a cluster: one dispatcher front node, N registrar/proxy nodes.

Used by tests/cluster and benchmarks/bench_cluster.py; doc/cluster.md
shows the same scripts in deployable form.

* **front** (``front_cfg``): maxfwd, rr, tm, dispatcher (set 1 = the
  nodes, round-robin), mi_fifo for ``ds_list``.  Record-routes INVITEs,
  relays in-dialog requests by their Route set, everything else to
  ``ds_select_dst("1", "4")``.  Its failure route marks a node that
  did not answer within ``fr_timer`` (local 408) or answered 503 with
  ``ds_mark_dst("p")`` and fails over with ``ds_next_dst()``.  Every node
  is probed with OPTIONS each ``ds_ping_interval`` (``ds_probing_mode``
  1), so a dead node leaves the rotation within ``ds_ping_interval +
  fr_timer`` even when no call hits it, and comes back once it answers.
* **node** (``node_cfg``): usrloc ``db_mode`` 3 on the shared database,
  registrar ``save``/``lookup``, rr, tm.  Answers OPTIONS to itself (the
  front's probes), saves REGISTERs, relays INVITEs to the looked-up
  contact, record-routing them.

``log=True`` adds xlog lines that the tests count: ``cluster-failover``
(front failure route, with the Call-ID) and ``cluster-invite <node>
<user> <Call-ID>`` (node).
"""

FRONT = """\
debug=2
children=%(children)d
listen=udp:%(host)s:%(port)d
disable_tcp=yes

loadmodule "sl.so"
loadmodule "maxfwd.so"
loadmodule "uri.so"
loadmodule "rr.so"
loadmodule "tm.so"
loadmodule "xlog.so"
loadmodule "mi_fifo.so"
loadmodule "dispatcher.so"

modparam("tm", "fr_timer", %(fr_timer)d)
modparam("tm", "fr_inv_timer", %(fr_inv_timer)d)
modparam("mi_fifo", "fifo_name", "%(workdir)s/fifo")
modparam("mi_fifo", "reply_dir", "%(workdir)s/")
modparam("dispatcher", "list_file", "%(workdir)s/dispatcher.list")
modparam("dispatcher", "flags", 2)
modparam("dispatcher", "dst_avp", "$avp(i:271)")
modparam("dispatcher", "grp_avp", "$avp(i:272)")
modparam("dispatcher", "cnt_avp", "$avp(i:273)")
modparam("dispatcher", "ds_ping_interval", %(ping)d)
modparam("dispatcher", "ds_probing_mode", 1)
modparam("dispatcher", "ds_probing_threshhold", 1)

route {
    if (!mf_process_maxfwd_header("10")) {
        sl_send_reply("483", "Too Many Hops");
        exit;
    }
    if (method == "OPTIONS" && uri == myself && $rU == NULL) {
        sl_send_reply("200", "OK");
        exit;
    }
    if (has_totag()) {
        # in-dialog: pinned by the Route set to the node that
        # record-routed the INVITE; never dispatched, never failed over
        if (loose_route()) {
            if (!t_relay()) {
                sl_reply_error();
            }
        } else if (method == "ACK") {
            if (t_check_trans()) {
                t_relay();
            }
        } else {
            sl_send_reply("404", "Not here");
        }
        exit;
    }
    if (method == "INVITE") {
        record_route();
    }
    if (!ds_select_dst("1", "4")) {
        sl_send_reply("503", "No Node Available");
        exit;
    }
    t_on_failure("1");
    if (!t_relay()) {
        sl_reply_error();
    }
}

failure_route[1] {
    # the node failed: it answered 503, or an INVITE / REGISTER got no
    # reply from it in time (a local 408: the node's own timers are
    # shorter, so a callee's timeout comes back as a real 408 first;
    # other requests wait for the callee: left to the probes)
    if (t_check_status("503") || (t_check_status("408") &&
            t_local_replied("last") &&
            (method == "INVITE" || method == "REGISTER"))) {
%(failover_log)s        ds_mark_dst("p");
        if (ds_next_dst()) {
            t_on_failure("1");
            t_relay();
            exit;
        }
    }
}
"""

NODE = """\
debug=2
children=%(children)d
listen=udp:%(host)s:%(port)d
disable_tcp=yes

loadmodule "%(db_module)s.so"
loadmodule "sl.so"
loadmodule "maxfwd.so"
loadmodule "uri.so"
loadmodule "rr.so"
loadmodule "tm.so"
loadmodule "xlog.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"

modparam("tm", "fr_timer", %(fr_timer)d)
modparam("tm", "fr_inv_timer", %(fr_inv_timer)d)
modparam("usrloc", "db_url", "%(db_url)s")
modparam("usrloc", "db_mode", 3)
modparam("usrloc", "timer_interval", 10)

route {
    if (!mf_process_maxfwd_header("10")) {
        sl_send_reply("483", "Too Many Hops");
        exit;
    }
    if (method == "OPTIONS" && uri == myself && $rU == NULL) {
        sl_send_reply("200", "OK");
        exit;
    }
    if (has_totag()) {
        if (loose_route()) {
            if (!t_relay()) {
                sl_reply_error();
            }
        } else if (method == "ACK") {
            if (t_check_trans()) {
                t_relay();
            }
        } else {
            sl_send_reply("404", "Not here");
        }
        exit;
    }
    if (method == "REGISTER") {
        save("location");
        exit;
    }
    if (!lookup("location")) {
        sl_send_reply("404", "Not Found");
        exit;
    }
    if (method == "INVITE") {
        record_route();
%(invite_log)s    }
    if (!t_relay()) {
        sl_reply_error();
    }
}
"""


INVITE_LOG = '        xlog("L_NOTICE", "cluster-invite %s:%d $rU $ci\\n");\n'


def front_cfg(host, port, workdir, children=2, fr_timer=2, fr_inv_timer=5,
              ping=1, log=True):
    """The dispatcher front node's script (list file in *workdir*)."""
    return FRONT % dict(
        host=host, port=port, workdir=workdir, children=children,
        fr_timer=fr_timer, fr_inv_timer=fr_inv_timer, ping=ping,
        failover_log=('        xlog("L_NOTICE", "cluster-failover $ci\\n");\n'
                      if log else ""))


def node_cfg(host, port, db_module, db_url, children=1, fr_timer=3,
             fr_inv_timer=4, log=True):
    """A registrar/proxy node's script, usrloc DB-only on *db_url*.

    *fr_timer* and *fr_inv_timer* must be shorter than the front's
    ``fr_inv_timer``, so that for a callee that does not answer the
    node's 408 reaches the front first (a real reply: no failover)
    rather than the front's own timeout.
    """
    return NODE % dict(
        host=host, port=port, db_module=db_module, db_url=db_url,
        children=children, fr_timer=fr_timer, fr_inv_timer=fr_inv_timer,
        invite_log=(INVITE_LOG % (host, port) if log else ""))


def dispatcher_list(node_addrs):
    """The list file: set 1 = every node."""
    return "".join("1 sip:%s:%d\n" % a for a in node_addrs)
