"""`python -m coding.demo [FOLDER]` is `qcode demo [FOLDER]` (what `make demo` runs): same options, one-line errors.

It lives apart from the demo itself so that the command imports the demo and not the other way round.
"""

import sys

from ..cli import main

main(["demo", *sys.argv[1:]], prog_name="qcode")
