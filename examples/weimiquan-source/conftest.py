# Opt in to communityroi's pytest fixtures (sample_data, make_community, strict_plugins,
# communityroi_cli); a conftest.py is read before the test modules import the helpers.
pytest_plugins = ["communityroi.testing"]
