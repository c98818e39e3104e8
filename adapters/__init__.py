"""Exchange with other systems: safe XML, EDXL (OASIS) and a WIS-style node.

The adapters use domain code that imports `service.auth`, and `service.auth`
can only be imported after `service.keys` (keys → stream hub → policy → auth is
circular when auth comes first). Loading keys here, before any adapter module,
keeps that order whoever imports an adapter first.
"""

import service.keys  # noqa: F401  # load order, see above
