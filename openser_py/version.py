"""Version identity, as OpenSER 1.3 prints it (``openser -V``).

The release string ends in ``-tls`` when this build can do TLS (the
standard library's ``ssl`` module is available), ``-notls`` otherwise,
as 1.3's ``-tls``/``-notls`` builds.
"""
import platform

try:
    import ssl as _ssl  # noqa: F401
    USE_TLS = True
except ImportError:  # pragma: no cover - CPython built without OpenSSL
    USE_TLS = False

NAME = "openser"
VERSION = "1.3.1"
TLS_FLAG = "tls" if USE_TLS else "notls"
ARCH = "%s/%s" % (platform.machine() or "unknown", platform.system().lower() or "unknown")
RELEASE = "%s-%s" % (VERSION, TLS_FLAG)
FULL_VERSION = "%s %s (%s)" % (NAME, RELEASE, ARCH)
SERVER_HDR = "OpenSER (%s (%s))" % (RELEASE, ARCH)
PY_IMPL = "openser_py on CPython %s" % platform.python_version()
