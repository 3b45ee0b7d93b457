"""A throw-away CA and certificates made at test time with ``openssl``.

Nothing here is committed: every key is generated into a pytest tmp dir.
:func:`make_pki` returns the paths of a CA, a server certificate (SANs
127.0.0.1, ::1, localhost), a client certificate signed by the same CA, a
"rogue" client certificate signed by another CA, and that other CA.
"""
import subprocess

from tests.conftest import require_tool

_EXT_LEAF = ("basicConstraints=critical,CA:FALSE\n"
             "keyUsage=critical,digitalSignature,keyEncipherment\n"
             "extendedKeyUsage=serverAuth,clientAuth\n"
             "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n")


def _run(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                   timeout=60)


def _ca(d, name):
    _run("req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
         "%s.key" % name, "-out", "%s.pem" % name, "-days", "2", "-subj",
         "/CN=openser_py test %s" % name, "-addext",
         "basicConstraints=critical,CA:TRUE", "-addext",
         "keyUsage=critical,keyCertSign,cRLSign", cwd=d)


def _leaf(d, name, ca, cn):
    _run("req", "-new", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
         "%s.key" % name, "-out", "%s.csr" % name, "-subj", "/CN=%s" % cn,
         cwd=d)
    (d / "leaf.ext").write_text(_EXT_LEAF)
    _run("x509", "-req", "-in", "%s.csr" % name, "-CA", "%s.pem" % ca,
         "-CAkey", "%s.key" % ca, "-CAcreateserial", "-out",
         "%s.pem" % name, "-days", "2", "-extfile", "leaf.ext", cwd=d)


class Pki:
    """Paths (str) of the generated files."""

    def __init__(self, d):
        self.dir = d
        for name in ("ca", "server", "client", "rogue_ca", "rogue"):
            setattr(self, name, str(d / ("%s.pem" % name)))
            setattr(self, name + "_key", str(d / ("%s.key" % name)))


def make_pki(d):
    """Generate everything into directory *d* (a pathlib.Path)."""
    require_tool("openssl")
    d.mkdir(parents=True, exist_ok=True)
    _ca(d, "ca")
    _ca(d, "rogue_ca")
    _leaf(d, "server", "ca", "server.test")
    _leaf(d, "client", "ca", "client.test")
    _leaf(d, "rogue", "rogue_ca", "rogue.test")
    return Pki(d)
