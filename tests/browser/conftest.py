"""The browser tests' fixtures are a plugin of the root ``conftest.py``
(``lab_fixtures.py``): tests in other folders use the same JupyterLab."""
