def test_hub_starts(hub, kernels):
    out = kernels["alice"].run("import os; print(os.environ.get('CHATWIDGET_STORE_URL'), os.environ.get('JUPYTERHUB_USER'))")
    print(out)
    assert "alice" in out
