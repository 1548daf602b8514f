"""Built-in transforms: steps between loading the canonical tables and the metrics.

Each module declares :class:`communityroi.TransformSpec` objects through the
``communityroi_transforms`` hook, exactly as a third-party plugin would.
"""
