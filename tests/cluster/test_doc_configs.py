"""The node and front scripts printed in doc/cluster.md pass ``openser -c``
(parse, module loading, fixups), so the page cannot drift into configs
that do not start."""
import re
import subprocess
import sys

from tests.conftest import ROOT


def _doc_configs():
    with open("%s/doc/cluster.md" % ROOT) as fh:
        text = fh.read()
    blocks = re.findall(r"```\n(.*?)```", text, re.S)
    return [re.sub(r"^ {3}", "", b, flags=re.M) for b in blocks
            if b.lstrip().startswith("listen=")]


def test_doc_cluster_configs_check(tmp_path):
    cfgs = _doc_configs()
    assert len(cfgs) == 2                      # node, front
    ds_list = tmp_path / "dispatcher.list"
    ds_list.write_text("1 sip:127.0.0.2:5060\n")
    for i, cfg in enumerate(cfgs):
        cfg = (cfg.replace("10.0.0.11", "127.0.0.2")
               .replace("192.0.2.10", "127.0.0.1")
               .replace("/etc/openser/dispatcher.list", str(ds_list)))
        path = tmp_path / ("c%d.cfg" % i)
        path.write_text(cfg)
        out = subprocess.run([sys.executable, "-m", "openser_py.main", "-c",
                              "-f", str(path)], capture_output=True,
                             text=True, timeout=60, cwd=ROOT)
        assert out.returncode == 0, cfg + out.stdout + out.stderr
