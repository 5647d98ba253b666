"""``cw.load_chainlit_app("app.py")``: run an unchanged Chainlit file as a chat of this kernel.

While the file runs, ``import chainlit`` (and ``chainlit.<module>``) resolves to
``chatwidget.chainlit``: a finder is put first on ``sys.meta_path`` and ``sys.modules``
entries are set for the duration, then both are put back as they were, so a real
Chainlit installed beside chatwidget stays importable afterwards. A ``chainlit.<module>``
chatwidget lacks raises :class:`ChainlitModuleError` at the file's import line, naming it.

The project's files are read as the reference reads them, from the file's folder:
``.chainlit/config.toml`` (the options that mean something in a notebook; see
:mod:`._project`), ``chainlit.md`` / ``chainlit_<lang>.md`` and
``.chainlit/translations/<lang>.json``.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import importlib
import importlib.abc
import importlib.machinery
import inspect
import pkgutil
import sys
import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .._app_name import short_path
from ..app import ChatApp
from . import registering_on
from ._errors import ChainlitModuleError
from ._hooks import hooks_of
from ._project import apply_project, user_env_keys
from .user import User

_PACKAGE = "chatwidget.chainlit"


class _Aliases(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves ``chainlit`` and ``chainlit.X`` to ``chatwidget.chainlit`` and its modules."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "chainlit" and not fullname.startswith("chainlit."):
            return None
        inner = _PACKAGE + fullname[len("chainlit") :]
        try:
            importlib.import_module(inner)
        except ModuleNotFoundError as exc:
            if exc.name is not None and exc.name.startswith(_PACKAGE):
                raise ChainlitModuleError(fullname.removeprefix("chainlit.")) from None
            raise
        return importlib.machinery.ModuleSpec(
            fullname, self, is_package=hasattr(sys.modules[inner], "__path__")
        )

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return sys.modules[_PACKAGE + spec.name[len("chainlit") :]]

    def exec_module(self, module: types.ModuleType) -> None:
        """The module is chatwidget's, already imported."""


def _provided() -> dict[str, types.ModuleType]:
    """``chainlit`` and ``chainlit.<module>`` for each public module of ``chatwidget.chainlit``."""
    package = importlib.import_module(_PACKAGE)
    modules = {"chainlit": package}
    for info in pkgutil.walk_packages(package.__path__, f"{_PACKAGE}."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            modules["chainlit" + info.name[len(_PACKAGE) :]] = importlib.import_module(info.name)
    return modules


@contextmanager
def chainlit_resolves_to_chatwidget() -> Iterator[None]:
    """``import chainlit`` gives ``chatwidget.chainlit`` inside the block, and only there."""
    # A copy first: another thread importing meanwhile would change sys.modules mid-iteration.
    saved = {k: v for k, v in dict(sys.modules).items() if k == "chainlit" or k.startswith("chainlit.")}
    for name in saved:
        del sys.modules[name]
    finder = _Aliases()
    sys.meta_path.insert(0, finder)
    # Every module chatwidget provides is put in place beforehand: importing one through the
    # finder would set it as an attribute of the package, hiding ``cl.context`` or ``cl.step``.
    sys.modules.update(_provided())
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in [k for k in list(sys.modules) if k == "chainlit" or k.startswith("chainlit.")]:
            del sys.modules[name]
        sys.modules.update(saved)


def _resolve(value: Any) -> Any:
    """The result of a hook that may be async, from code that may run inside a loop."""
    if not inspect.isawaitable(value):
        return value
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_await(value))
    # A notebook cell runs inside the kernel's loop: finish the hook on a loop of its own.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _await(value)).result()


async def _await(value: Any) -> Any:
    return await value


def load_chainlit_app(
    path: str | Path,
    *,
    user: User | None = None,
    login: tuple[str, str] | None = None,
    headers: dict[str, str] | None = None,
    user_env: dict[str, str] | None = None,
    **options: Any,
) -> ChatApp:
    """Run the Chainlit app file ``path`` and return its chat: then ``app.display()``.

    ``options`` are :class:`~chatwidget.ChatApp` options (``headless=True`` for tests); they
    win over ``.chainlit/config.toml``. Who the user is (``cl.user_session.get("user")``):
    ``user``, or what the file's ``@password_auth_callback`` returns for ``login=(name,
    password)``, or its ``@header_auth_callback`` for ``headers``. ``user_env`` gives the
    values of the keys the project's ``user_env`` asks for.
    """
    source_path = Path(path).resolve()
    if not source_path.is_file():
        raise FileNotFoundError(f"No Chainlit app at {source_path}")
    # The reference shows the exception's text to the user: so does a Chainlit file's chat.
    options.setdefault("error_details", "message")
    # One app per Chainlit file, wherever it is loaded from (its threads are listed together).
    options.setdefault("name", short_path(str(source_path)))
    app = ChatApp(**apply_project(source_path.parent, options))
    module = types.ModuleType(f"chainlit_app_{source_path.stem}")
    module.__file__ = str(source_path)
    code = compile(source_path.read_text(encoding="utf-8"), str(source_path), "exec")
    root = str(source_path.parent)
    sys.path.insert(0, root)  # the reference runs an app from its folder: its siblings import
    try:
        with chainlit_resolves_to_chatwidget(), registering_on(app):
            exec(code, module.__dict__)  # noqa: S102 - running the user's app is the point
        app.session["user"] = _sign_in(app, user, login, headers)
    except BaseException:
        app.close()  # a failed load leaves no open app behind to make the next one ambiguous
        raise
    finally:
        sys.path.remove(root)
    app.user_env_keys = user_env_keys(source_path.parent)
    if user_env is not None:
        app.set_user_env(user_env)
    hooks = hooks_of(app)
    hooks["module"] = lambda: module
    if startup := hooks.get("on_app_startup"):
        _resolve(startup())
    if shutdown := hooks.get("on_app_shutdown"):  # the app's server is the kernel: it stops with it
        atexit.register(lambda: _resolve(shutdown()))
    return app


def _sign_in(
    app: ChatApp, user: User | None, login: tuple[str, str] | None, headers: dict[str, str] | None
) -> User | None:
    hooks = hooks_of(app)
    if login is not None:
        check = hooks.get("password_auth_callback")
        if check is None:
            raise ValueError("login= needs the app to define @cl.password_auth_callback.")
        user = _resolve(check(*login))
        if user is None:
            raise PermissionError(f"The app's password_auth_callback refused {login[0]!r}.")
    elif headers is not None:
        check = hooks.get("header_auth_callback")
        if check is None:
            raise ValueError("headers= needs the app to define @cl.header_auth_callback.")
        user = _resolve(check(headers))
        if user is None:
            raise PermissionError("The app's header_auth_callback refused these headers.")
    return user
