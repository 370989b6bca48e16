"""The GL side of the 3D view: one chunk of the scene in GPU buffers, drawn in two passes.

A `ChunkBuffers` holds one `MeshChunk` on the GPU (positions, colours and the index lists of its
visible triangles) and uploads only the arrays whose revisions changed, when next drawn (the GL
context is current then). Two `ChunkPass` items draw it: the opaque triangles first, then the
see-through ones blended without writing depth, so glass never hides what is behind it.

Shading needs no normals: the fragment shader takes each face's normal from the screen-space
derivatives of its position (flat shading, right for welded vertices) and lights it from the
camera, with a little light from the sky so floors and walls of the same colour differ.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

import numpy as np
from OpenGL import GL
from pyqtgraph.opengl import GLGraphicsItem, GLLinePlotItem, GLScatterPlotItem
from pyqtgraph.opengl.shaders import FragmentShader, ShaderProgram, VertexShader
from PySide6.QtGui import QOffscreenSurface, QOpenGLContext, QVector3D

from ifcscript_desktop.ui.view3d.arrays import IndexArray, MeshChunk

QtOpenGL: Any = importlib.import_module("PySide6.QtOpenGL")

_VERTEX = """#version 120
uniform mat4 u_mvp;
uniform mat4 u_modelview;
attribute vec4 a_position;
attribute vec4 a_color;
varying vec4 v_color;
varying vec3 v_view;
void main() {
    v_color = a_color;
    v_view = (u_modelview * a_position).xyz;
    gl_Position = u_mvp * a_position;
}
"""
_FRAGMENT = """#version 120
uniform vec3 u_sky;
uniform float u_orthographic;
varying vec4 v_color;
varying vec3 v_view;
void main() {
    vec3 face = cross(dFdx(v_view), dFdy(v_view));
    vec3 normal = length(face) > 0.0 ? normalize(face) : vec3(0.0, 0.0, 1.0);  // a sliver seen edge-on
    vec3 to_eye = mix(normalize(-v_view), vec3(0.0, 0.0, 1.0), u_orthographic);
    float light = 0.38 + 0.5 * abs(dot(normal, to_eye)) + 0.17 * max(dot(normal, u_sky), 0.0);
    gl_FragColor = vec4(v_color.rgb * light, v_color.a);
}
"""
_BACKGROUND_VERTEX = """#version 120
attribute vec4 a_position;
varying float v_height;
void main() {
    v_height = a_position.y * 0.5 + 0.5;
    gl_Position = a_position;
}
"""
_BACKGROUND_FRAGMENT = """#version 120
uniform vec3 u_bottom;
uniform vec3 u_top;
varying float v_height;
void main() {
    gl_FragColor = vec4(mix(u_bottom, u_top, v_height), 1.0);
}
"""
_SHADED = ShaderProgram("ifcscript-shaded", [VertexShader(_VERTEX), FragmentShader(_FRAGMENT)])
_GRADIENT = ShaderProgram("ifcscript-background",
                          [VertexShader(_BACKGROUND_VERTEX), FragmentShader(_BACKGROUND_FRAGMENT)])
_PLACEHOLDER = np.zeros(4, np.uint32)  # what an empty array uploads (a buffer is never zero bytes)
#: Multisampling smooths the edges of walls and roofs: free on a GPU, but it makes a software
#: renderer (Mesa's llvmpipe, in VMs and on CI) three times slower, so there it is left out.
MULTISAMPLES = 4
SOFTWARE_RENDERERS = ("llvmpipe", "softpipe", "swrast", "software")


def begin_pass(transparent: bool) -> None:
    """The GL state of a pass: depth tested; see-through triangles blended without writing
    depth (the pass sets `glDepthMask(GL_TRUE)` back when done)."""
    GL.glEnable(GL.GL_DEPTH_TEST)
    GL.glDisable(GL.GL_CULL_FACE)
    if transparent:
        GL.glEnable(GL.GL_BLEND)
        GL.glBlendFuncSeparate(GL.GL_SRC_ALPHA, GL.GL_ONE_MINUS_SRC_ALPHA, GL.GL_ONE, GL.GL_ONE_MINUS_SRC_ALPHA)
        GL.glDepthMask(GL.GL_FALSE)
    else:
        GL.glDisable(GL.GL_BLEND)


def set_lighting(shader: Any, item: Any) -> None:
    """The uniforms `_FRAGMENT`'s lighting reads, for `item` of its view (the shader bound)."""
    modelview = item.modelViewMatrix()
    sky = modelview.mapVector(QVector3D(0.0, 0.0, 1.0))
    GL.glUniformMatrix4fv(shader.uniform("u_mvp"), 1, False, np.array(item.mvpMatrix().data(), np.float32))
    GL.glUniformMatrix4fv(shader.uniform("u_modelview"), 1, False, np.array(modelview.data(), np.float32))
    GL.glUniform3f(shader.uniform("u_sky"), sky.x(), sky.y(), sky.z())
    GL.glUniform1f(shader.uniform("u_orthographic"), 1.0 if item.view().camera.orthographic else 0.0)


def upload(buffer: Any, array: np.ndarray) -> int:
    """Upload an array to a GPU buffer (reallocating when its size changed); its row count."""
    data = np.ascontiguousarray(array) if len(array) else _PLACEHOLDER
    if not buffer.isCreated():
        buffer.create()
    buffer.bind()
    if buffer.size() != data.nbytes:
        buffer.allocate(data, data.nbytes)
    else:
        buffer.write(0, data, data.nbytes)
    buffer.release()
    return len(array)


class ChunkBuffers:
    """One merged chunk in GPU buffers, brought up to date by its revisions as it is drawn."""

    def __init__(self) -> None:
        self._positions = QtOpenGL.QOpenGLBuffer(QtOpenGL.QOpenGLBuffer.Type.VertexBuffer)
        self._colors = QtOpenGL.QOpenGLBuffer(QtOpenGL.QOpenGLBuffer.Type.VertexBuffer)
        # opaque, see-through, and the two coarse lists drawn while the camera moves
        self._indices = [QtOpenGL.QOpenGLBuffer(QtOpenGL.QOpenGLBuffer.Type.IndexBuffer) for _ in range(4)]
        self._counts = [0, 0, 0, 0]
        self._chunk: MeshChunk | None = None
        self._uploaded = (-1, -1, -1)  # geometry, colour and triangles revisions on the GPU
        self._coarse: tuple[IndexArray, IndexArray] | None = None
        self._coarse_pending = False
        self.uploads = 0  # buffers written (the tests count them)

    def set_chunk(self, chunk: MeshChunk) -> None:
        """The chunk to draw from now on (uploaded at the next paint, only what changed)."""
        self._chunk = chunk

    def set_coarse(self, triangles: tuple[IndexArray, IndexArray] | None) -> None:
        """Draw only these (opaque, see-through) triangles until called with None."""
        self._coarse = triangles
        self._coarse_pending = triangles is not None

    def indices(self, transparent: bool) -> tuple[Any, int]:
        """The index buffer and triangle count a pass draws (after bringing the GPU up to date)."""
        self._upload()
        which = (2 if self._coarse is not None else 0) + int(transparent)
        return self._indices[which], self._counts[which]

    def bind_attributes(self, program: int) -> list[int]:
        """Point the shader's position and colour attributes at this chunk's buffers."""
        enabled = []
        for name, buffer, size in (("a_position", self._positions, 3), ("a_color", self._colors, 4)):
            location = GL.glGetAttribLocation(program, name)
            if location == -1:
                continue
            buffer.bind()
            GL.glVertexAttribPointer(location, size, GL.GL_FLOAT, False, 0, None)
            buffer.release()
            GL.glEnableVertexAttribArray(location)
            enabled.append(location)
        return enabled

    def _upload(self) -> None:
        chunk = self._chunk
        if chunk is None:
            return
        geometry, colors, triangles = self._uploaded
        if chunk.geometry_revision != geometry:
            self._write(self._positions, chunk.positions)
        if chunk.geometry_revision != geometry or chunk.color_revision != colors:
            self._write(self._colors, chunk.colors)
        if chunk.geometry_revision != geometry or chunk.triangles_revision != triangles:
            self._counts[0] = self._write(self._indices[0], chunk.opaque_triangles)
            self._counts[1] = self._write(self._indices[1], chunk.transparent_triangles)
        self._uploaded = (chunk.geometry_revision, chunk.color_revision, chunk.triangles_revision)
        if self._coarse_pending and self._coarse is not None:
            self._counts[2] = self._write(self._indices[2], self._coarse[0])
            self._counts[3] = self._write(self._indices[3], self._coarse[1])
            self._coarse_pending = False

    def _write(self, buffer: Any, array: np.ndarray) -> int:
        self.uploads += 1
        return upload(buffer, array)

    def destroy(self) -> None:
        """Free the GPU buffers (the GL context must be current)."""
        for buffer in (self._positions, self._colors, *self._indices):
            if buffer.isCreated():
                buffer.destroy()


class ChunkPass(GLGraphicsItem.GLGraphicsItem):
    """Draws a chunk's opaque triangles, or its see-through ones (blended, depth kept)."""

    def __init__(self, buffers: ChunkBuffers, transparent: bool) -> None:
        super().__init__()
        self.buffers = buffers
        self.transparent = transparent
        self.setDepthValue(10 if transparent else 0)  # the view draws items by ascending depth value

    def paint(self) -> None:
        index_buffer, count = self.buffers.indices(self.transparent)
        if not count:
            return
        begin_pass(self.transparent)
        program = _SHADED.program()
        enabled = self.buffers.bind_attributes(program)
        with _SHADED:
            set_lighting(_SHADED, self)
            index_buffer.bind()
            GL.glDrawElements(GL.GL_TRIANGLES, 3 * count, GL.GL_UNSIGNED_INT, None)
            index_buffer.release()
        for location in enabled:
            GL.glDisableVertexAttribArray(location)
        GL.glDepthMask(GL.GL_TRUE)


class SceneItems:
    """A scene's merged chunks in a view: per chunk its buffers and its opaque and see-through passes."""

    def __init__(self) -> None:
        self._chunks: list[ChunkBuffers] = []

    def update(self, view: Any, chunks: list[MeshChunk]) -> None:
        """Follow the scene's chunks (new ones get items; uploads wait for the next frame)."""
        for number, chunk in enumerate(chunks):
            if number == len(self._chunks):
                buffers = ChunkBuffers()
                self._chunks.append(buffers)
                view.addItem(ChunkPass(buffers, transparent=False))
                view.addItem(ChunkPass(buffers, transparent=True))
            self._chunks[number].set_chunk(chunk)

    def set_coarse(self, triangles: list[tuple[IndexArray, IndexArray]] | None) -> None:
        """Per chunk, the (opaque, see-through) triangles to draw instead of all; None: all again."""
        for number, buffers in enumerate(self._chunks):
            buffers.set_coarse(None if triangles is None else triangles[number])

    @property
    def uploads(self) -> int:
        return sum(buffers.uploads for buffers in self._chunks)

    def remove(self, view: Any) -> None:
        """Take the items out of the view and free their GPU buffers."""
        for item in [item for item in view.items if isinstance(item, ChunkPass)]:
            view.removeItem(item)
        if self._chunks and view.isValid():
            view.makeCurrent()
            for buffers in self._chunks:
                buffers.destroy()
            view.doneCurrent()
        self._chunks = []


def measure_items(points: np.ndarray, color: tuple[float, float, float, float]) -> list[Any]:
    """The measure tool's picked points and, once there are two, the segment between them,
    drawn over the model (no depth test) after everything else."""
    on_top = {GL.GL_DEPTH_TEST: False, GL.GL_BLEND: True, "glBlendFunc": (GL.GL_SRC_ALPHA, GL.GL_ONE_MINUS_SRC_ALPHA)}
    items = [GLScatterPlotItem(pos=points, color=color, size=9, glOptions=on_top)]
    if len(points) == 2:
        items.append(GLLinePlotItem(pos=points, color=color, width=3, mode="lines", glOptions=on_top))
    for item in items:
        item.setDepthValue(20)
    return items


class Background(GLGraphicsItem.GLGraphicsItem):
    """A vertical gradient behind everything (drawn first, writing no depth)."""

    def __init__(self, bottom: tuple[float, float, float], top: tuple[float, float, float]) -> None:
        super().__init__()
        self.bottom, self.top = bottom, top
        self.setDepthValue(-10)
        self._corners = QtOpenGL.QOpenGLBuffer(QtOpenGL.QOpenGLBuffer.Type.VertexBuffer)

    def paint(self) -> None:
        GL.glDisable(GL.GL_DEPTH_TEST)
        GL.glDisable(GL.GL_BLEND)
        GL.glDepthMask(GL.GL_FALSE)
        program = _GRADIENT.program()
        location = GL.glGetAttribLocation(program, "a_position")
        if not self._corners.isCreated():
            corners = np.array([[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]], np.float32)
            self._corners.create()
            self._corners.bind()
            self._corners.allocate(corners, corners.nbytes)
        else:
            self._corners.bind()
        GL.glVertexAttribPointer(location, 3, GL.GL_FLOAT, False, 0, None)
        self._corners.release()
        GL.glEnableVertexAttribArray(location)
        with _GRADIENT:
            GL.glUniform3f(_GRADIENT.uniform("u_bottom"), *self.bottom)
            GL.glUniform3f(_GRADIENT.uniform("u_top"), *self.top)
            GL.glDrawArrays(GL.GL_TRIANGLE_FAN, 0, 4)
        GL.glDisableVertexAttribArray(location)
        GL.glDepthMask(GL.GL_TRUE)
        GL.glEnable(GL.GL_DEPTH_TEST)


def multisamples() -> int:
    """The samples a pixel of the view gets (0: none, on a software renderer)."""
    return 0 if software_renderer() else MULTISAMPLES


@functools.cache
def software_renderer() -> bool:
    """Whether GL draws on the CPU here (asked once, of a throwaway context)."""
    context, surface = QOpenGLContext(), QOffscreenSurface()
    surface.create()
    if not (context.create() and context.makeCurrent(surface)):
        return True
    renderer = str(context.functions().glGetString(GL.GL_RENDERER) or "")
    context.doneCurrent()
    return any(name in renderer.lower() for name in SOFTWARE_RENDERERS)
