"""Keep pytest out of this folder.

Everything here is the django-helpdesk peer project that the live sync test copies to a
temporary directory and runs inside its own virtual environment (with django-helpdesk and its
own Django). Importing these modules in Solidground's test process (as ``--doctest-modules``
would) must never happen.
"""

collect_ignore_glob = ["*.py", "hdsite/*"]
