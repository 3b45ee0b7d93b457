"""Subscriber rows shared by the auth_db and uri_db tests."""
from tests.modules.auth.authutil import md5

EVIL = "x' OR '1'='1"


def subscriber(user, domain, password, realm=None, rpid=None,
               email=""):
    """A subscriber row as openserctl writes it."""
    realm = realm or domain
    return (user, domain, password, email,
            md5("%s:%s:%s" % (user, realm, password)),
            md5("%s@%s:%s:%s" % (user, domain, realm, password)), rpid)


SUBSCRIBER_KEYS = ("username", "domain", "password", "email_address", "ha1",
                   "ha1b", "rpid")
SUBSCRIBERS = [
    subscriber("alice", "example.com", "pw", rpid="<sip:+4930111@example.com>",
               email="alice@example.com"),
    subscriber("carol", "other.org", "pw2"),
    subscriber("dave", "example.com", "pw4"),
    subscriber("dave", "other.org", "pw3"),
    subscriber(EVIL, "example.com", "evil"),
]
