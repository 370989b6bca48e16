"""The GL session: tests that draw with a real X server and GL (Xvfb + Mesa in CI).

Every test here is marked `xserver`; the first pytest session leaves them out (pyproject's
`-m 'not xserver'`) because its Qt runs offscreen, without GL, and one QApplication cannot switch
platforms. The second session runs them under xvfb-run (see the README). Without xcb or without
GL these tests fail, never skip: a green run must mean the 3D view was drawn.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QGuiApplication, QImage, QOffscreenSurface, QOpenGLContext
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from ifcscript_desktop.core import meshcache
from ifcscript_desktop.core.client import WorkerClient
from ifcscript_desktop.ui.view3d.loading import SceneLoader
from ifcscript_desktop.ui.view3d.scene import Scene
from ifcscript_desktop.ui.view3d.widget import BACKGROUND_TOP, ModelView
from tests.conftest import FIXTURES

SIZE = (640, 480)
# As the app does: GL resources outlive one widget's context (a dock floated, a view per test).
QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark this folder's tests before `-m` selects (this hook runs before pytest's own)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.xserver)


@pytest.fixture(scope="session", autouse=True)
def real_gl(qapp: QApplication) -> None:
    """Fail every test at once when Qt does not run on X or the view cannot draw with GL."""
    platform = QGuiApplication.platformName()
    if platform != "xcb":
        pytest.fail(f"the GL tests need QT_QPA_PLATFORM=xcb under an X server (xvfb-run), not {platform!r}",
                    pytrace=False)
    context, surface = QOpenGLContext(), QOffscreenSurface()
    surface.create()
    if not (context.create() and context.makeCurrent(surface)):
        pytest.fail("no OpenGL context: install Mesa (libgl1-mesa-dri) and start Xvfb with +extension GLX",
                    pytrace=False)
    version = context.format().version()
    # Copies of a type are drawn instanced: GL 3.3, or 2.1 with the instancing extensions.
    instancing = version >= (3, 3) or (version >= (2, 1) and context.hasExtension(b"GL_ARB_instanced_arrays")
                                       and context.hasExtension(b"GL_ARB_draw_instanced"))
    context.doneCurrent()
    if not instancing:
        pytest.fail(f"OpenGL {version} is too old for the 3D view (3.3, or 2.1 with ARB_instanced_arrays and "
                    "ARB_draw_instanced, needed)", pytrace=False)
    # pyqtgraph reports a failing draw and goes on: only the drawn background proves GL works
    # (without GLX, Qt draws through EGL, which PyOpenGL on X does not see).
    widget = ModelView()
    widget.resize(64, 64)
    widget.show()
    corner = widget.snapshot().pixelColor(2, 2).getRgbF()[:3]
    widget.close()
    widget.deleteLater()
    if corner != pytest.approx(BACKGROUND_TOP, abs=0.05):
        pytest.fail(f"the 3D view draws nothing with this GL (corner {corner}): start Xvfb with +extension GLX",
                    pytrace=False)


def mesh_model(path: Path, cache: Path) -> Path:
    """Mesh an IFC file with a real worker into a cache folder, as the app does."""
    client = WorkerClient()
    try:
        client.call("open", timeout=120, path=str(path))
        request = client.send("mesh", {"cache_dir": str(cache)})
        assert request.wait(300) and request.ok, request.error
    finally:
        client.close()
    assert meshcache.complete(cache)
    return cache


def load_scene(cache: Path) -> Scene:
    """A scene of every batch of a cache folder, through the app's loader."""
    loader = SceneLoader()
    batches = [loader.batch(meshcache.load_batch(path)) for path in meshcache.batch_paths(cache)]
    assert loader.origin is not None
    scene = Scene(loader.origin)
    for batch in batches:
        scene.add_batch(batch)
    return scene


@pytest.fixture(scope="session")
def house_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The FZK house meshed once for the session."""
    return mesh_model(FIXTURES / "AC20-FZK-Haus.ifc", tmp_path_factory.mktemp("house"))


@pytest.fixture
def view(qtbot: QtBot) -> Iterator[ModelView]:
    """A shown `ModelView` of a fixed size."""
    widget = ModelView()
    qtbot.addWidget(widget)
    widget.resize(*SIZE)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget


def pixels(image: QImage) -> np.ndarray:
    """A QImage as an (H, W, 3) uint8 RGB array."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = rgb.width(), rgb.height()
    data = np.frombuffer(rgb.constBits(), np.uint8).reshape(height, rgb.bytesPerLine())
    return data[:, : width * 3].reshape(height, width, 3).copy()
