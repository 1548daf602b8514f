"""Built-in plugins. They use exactly the public hooks a third-party plugin uses.

The core imports the modules listed in :data:`BUILTIN` by dotted name, and those in
:data:`COMMANDS` (plugins that only add CLI commands, kept small so ``--help`` is fast)
when it builds the command line.
"""

COMMANDS: tuple[str, ...] = ("plugins.sources.demo_command", "plugins.reveal")

BUILTIN: tuple[str, ...] = (
    "plugins.sources.files",
    "plugins.sources.demo",
    "plugins.sources.slack",
    "plugins.sources.discord",
    "plugins.sources.telegram",
    "plugins.sources.discourse",
    "plugins.sources.wecom",
    "plugins.sources.wechat",
    "plugins.sources.shopify",
    "plugins.sources.preset",
    "plugins.sources.ledger",
    "plugins.sources.sql",
    "plugins.transforms.identity",
    "plugins.metrics.incrementality",
    "plugins.metrics.roi",
    "plugins.metrics.clv",
    "plugins.metrics.loyalty",
    "plugins.metrics.influence",
    "plugins.metrics.engagement",
    "plugins.metrics.campaigns",
    "plugins.metrics.operators",
    "plugins.metrics.purposes",
    "plugins.metrics.retention",
    "plugins.metrics.circles",
    "plugins.metrics.funnel",
    "plugins.metrics.timing",
    "plugins.metrics.member_scores",
    "plugins.metrics.actions",
    "plugins.renderers.html",
    "plugins.renderers.pdf",
    "plugins.renderers.json",
    "plugins.renderers.xlsx",
    "plugins.renderers.members",
)
