"""Sphinx configuration of the course website (Sphinx + myst-nb + sphinx-book-theme).

Not run on its own: ``python scripts/build_site.py`` stages the pages (this
folder, the executed notebooks, the generated formula catalog and the lecture
notes when present) into a build folder and runs Sphinx on it with this file.
The notebooks are rendered from their saved outputs and never executed.
"""

import lecturekit

project = "lecturekit"
author = "the lecturekit authors"
copyright = "the lecturekit authors"
release = version = lecturekit.__version__

extensions = [
    "myst_nb",  # .ipynb and MyST .md pages
    "sphinx.ext.mathjax",
]

root_doc = "index"
exclude_patterns = ["_build", "**/.ipynb_checkpoints", "**/src/**"]
suppress_warnings = [
    # The lecture notes are transcriptions whose headings skip levels (## then ####).
    "myst.header",
]

# --- notebooks: render the committed outputs, never execute -----------------
nb_execution_mode = "off"
# Explorers are saved as a live-widget view plus a PNG snapshot. The widget's
# state is not stored (it would only bloat the files), so on a static page the
# snapshot is what can show: drop the widget view from every output bundle.
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]
# Outputs in Markdown (the start page's catalog table) are MyST, with $math$.
nb_render_markdown_format = "myst"
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_dmath_double_inline = True  # $$...$$ inside a paragraph, as the notes write it
myst_heading_anchors = 3

# --- MathJax 3 from the site itself (vendored by scripts/build_site.py) -------
# A relative path is relative to the site's _static/ folder: no CDN.
mathjax_path = "mathjax/tex-mml-chtml.js"
mathjax3_config = {
    "loader": {"load": ["[tex]/boldsymbol"]},
    "tex": {"packages": {"[+]": ["boldsymbol"]}},
}

# --- theme ------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "lecturekit"
html_static_path = ["_static"]
html_css_files = ["lecturekit.css"]
html_favicon = "_static/favicon.svg"  # else the browser's /favicon.ico is a 404
html_context = {"default_mode": "light"}
html_last_updated_fmt = None
html_use_index = False  # no index entries: no empty "Index" page
html_show_sourcelink = False
html_copy_source = False  # only the "download .ipynb" button needs _sources; see below
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "navigation_with_keys": False,
    "navbar_persistent": [],  # the search field is in the sidebar; no second one in a header bar
    # Nothing that would fetch from outside the site: no analytics, no launch buttons.
    "launch_buttons": {},
}
