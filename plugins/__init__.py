"""Built-in plugins. They use exactly the public hooks a third-party plugin uses.

The core imports the modules listed in :data:`BUILTIN` by dotted name, as it loads the
``communityroi`` entry points. :data:`COMMANDS` declares the built-in commands as a plugin
declares its own in the ``communityroi.commands`` entry-point group (name →
``module:command``): the command line imports a command's module only when the command
runs or the list is shown (``--help``), so those modules import only click and
``communityroi`` at the top.
"""

COMMANDS: dict[str, str] = {
    "demo": "plugins.sources.demo_command:demo",
    "reveal": "plugins.reveal:reveal",
}

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
