"""A pytest plugin loaded before every other one (``-p tests.startup_plugin`` in addopts).

pytest imports the plugins named by ``-p`` before the installed ones (entry points, such
as nbval's), so this module runs before nbval's import chain: nbval -> nbformat ->
jsonschema, whose format checkers import ``rfc3987_syntax`` if it is installed
(jupyter-events asks for it). That package builds a Lark parser of the IRI grammar when
it is imported: 1.5 s in every pytest process, the controller's start-up and each xdist
worker's, on the critical path of the quick run.

Nothing in the test processes validates the two formats it checks ("iri" and
"iri-reference" of JSON Schema drafts 7 and later; nbformat's schemas use neither), so
here it counts as not installed: jsonschema then skips those two checkers, as it does
without the package. The servers and kernels the tests start are other processes, which
import it as usual.
"""

import sys

sys.modules.setdefault("rfc3987_syntax", None)  # None in sys.modules: "import" raises ImportError
