"""`python -m coding.demo [FOLDER]` is `qcode demo [FOLDER]`: the same options and one-line errors.

The entry lives apart from the demo's library code so that the command line (which builds the demo) and the
demo (which this entry hands to the command line) never import each other.
"""

import sys

from ..cli import main

main(["demo", *sys.argv[1:]], prog_name="qcode")
