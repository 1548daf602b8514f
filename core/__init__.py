"""communityroi core: contracts, plugin manager, settings, pipeline.

The core knows contracts, not platforms or formulas. It never imports ``plugins`` at
module level; built-in plugins are loaded by dotted name, exactly like third-party ones.
"""
