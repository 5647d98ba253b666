"""``chainlit.utils``: the helpers a Chainlit file is likely to import."""

from .._util import utc_now

__all__ = ["utc_now"]
