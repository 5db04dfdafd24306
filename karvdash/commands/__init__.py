"""What a user does with Karvdash, shared by the CLI, the notebook magics and the server
extension: who the user is (:mod:`.identity`), a session on the cluster with the core's
template store and service manager (:mod:`.session`), the verbs (:mod:`.verbs`), and how
their results are shown (:mod:`.output`).

Nothing here imports IPython, jupyter_server or jupyterhub; the magics and the extension
import this package, never the reverse.
"""
