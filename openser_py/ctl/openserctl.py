"""``openserctl``: OpenSER 1.3's tool of the same name.

Only ``version`` and ``help`` work yet; the command set arrives with
issue #7.  Other commands exit with status 2.
"""
import sys

from openser_py.ctl._stub import make_main

main = make_main("openserctl", "#7")

if __name__ == "__main__":
    sys.exit(main())
