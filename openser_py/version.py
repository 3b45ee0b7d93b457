"""Version identity, as OpenSER 1.3 prints it (``openser -V``)."""
import platform

NAME = "openser"
VERSION = "1.3.1"
TLS_FLAG = "notls"
ARCH = "%s/%s" % (platform.machine() or "unknown", platform.system().lower() or "unknown")
RELEASE = "%s-%s" % (VERSION, TLS_FLAG)
FULL_VERSION = "%s %s (%s)" % (NAME, RELEASE, ARCH)
SERVER_HDR = "OpenSER (%s (%s))" % (RELEASE, ARCH)
PY_IMPL = "openser_py on CPython %s" % platform.python_version()
