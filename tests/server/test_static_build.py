"""The bundle asked for by build (every chat's loader asks ``chatwidget.js?v=<build>``)."""

from __future__ import annotations

from server_support import Call

from chatwidget import assets

STATIC = "chatwidget/static"


async def test_this_build_is_served_for_good_to_anyone(call: Call) -> None:
    build = assets.build_id()
    files = assets.bundle_files()
    assert build and files
    for name, data in zip(assets.BUNDLE, files, strict=True):
        reply = await call("GET", f"{STATIC}/{name}?v={build}", anonymous=True)
        assert reply.code == 200, name
        assert reply.body == data
        assert reply.headers["Cache-Control"] == "public, max-age=31536000, immutable"


async def test_another_build_is_not_found_so_the_kernel_sends_its_own(call: Call) -> None:
    for build in ["0" * 16, "", "../x", "<script>"]:
        for name in assets.BUNDLE:
            reply = await call("GET", f"{STATIC}/{name}?v={build}", anonymous=True)
            assert reply.code == 404, (name, build)
            assert "immutable" not in reply.headers.get("Cache-Control", "")


async def test_without_a_build_the_files_are_revalidated(call: Call) -> None:
    reply = await call("GET", f"{STATIC}/chatwidget.js", anonymous=True)
    assert reply.code == 200
    assert reply.headers["Cache-Control"] == "no-cache"
    # Other files with a v= are not held to the bundle's build.
    assert (await call("GET", f"{STATIC}/frame.html?v=1", anonymous=True)).code == 200
