"""Named errors. Each message is one line that says what is wrong and what to do next."""

from __future__ import annotations


class CommunityROIError(Exception):
    """Base class: a user-facing error, printed as one line without a traceback."""


class ConfigError(CommunityROIError):
    """The configuration file, an environment variable or a CLI flag is invalid."""


class DataError(CommunityROIError):
    """Input data is missing, malformed or inconsistent.

    ``problems`` lists every problem found (each one line naming file, row and column);
    the message is the first of them plus a count.
    """

    def __init__(self, problems: list | str):
        self.problems = [problems] if isinstance(problems, str) else [str(p) for p in problems]
        first = self.problems[0] if self.problems else "invalid data"
        more = len(self.problems) - 1
        super().__init__(
            first
            + (f" (and {more} more problem(s); run 'communityroi validate')" if more > 0 else "")
        )


class PluginError(CommunityROIError):
    """A plugin failed to load, declared something invalid, or raised while running."""


class PluginConflictError(PluginError):
    """Two plugins registered the same source, metric or renderer name."""


class RenderError(CommunityROIError):
    """A renderer could not write its output (bad template, refused resource, …)."""
