"""The GL side of the scene's instances: each shared mesh once on the GPU, drawn once per visible
instance with its own transform and colour (`Scene.instanced()`).

An `InstanceBuffers` holds one `InstanceSet`: the instanced meshes one after another (positions
and an index buffer) and the instances of each pass (opaque, see-through), 20 floats each: the
transform as four vec4 columns and the RGBA colour, read once per instance
(`glVertexAttribDivisor`). Per mesh and pass it is one `glDrawElementsInstanced` call, the
instance attributes pointing at that mesh's instances. Uploads follow the set's revisions, at the
next paint (the GL context is current then).

The shading is `gl_items`' (its fragment shader: flat from screen-space derivatives, light from
the camera and the sky); the vertex shader places the local mesh first, and the fragment shader
first drops what lies outside the section box (merged rows lose their triangles outside it; an
instance's mesh is shared, so it is cut pixel by pixel instead). It needs instanced arrays
(GL 3.3, or GL 2.1 with ARB_instanced_arrays and ARB_draw_instanced).
"""

from __future__ import annotations

import ctypes
import importlib
from typing import Any

import numpy as np
from OpenGL import GL
from OpenGL.extensions import alternate
from OpenGL.GL.ARB import draw_instanced, instanced_arrays
from pyqtgraph.opengl import GLGraphicsItem
from pyqtgraph.opengl.shaders import FragmentShader, ShaderProgram, VertexShader

from ifcscript_desktop.ui.view3d.arrays import INSTANCE_FLOATS, Box, InstanceSet
from ifcscript_desktop.ui.view3d.gl_items import _FRAGMENT, begin_pass, set_lighting, upload

QtOpenGL: Any = importlib.import_module("PySide6.QtOpenGL")

_VERTEX = """#version 120
uniform mat4 u_mvp;
uniform mat4 u_modelview;
attribute vec4 a_position;
attribute vec4 a_column0;
attribute vec4 a_column1;
attribute vec4 a_column2;
attribute vec4 a_column3;
attribute vec4 a_color;
varying vec4 v_color;
varying vec3 v_view;
varying vec3 v_world;
void main() {
    vec4 world = mat4(a_column0, a_column1, a_column2, a_column3) * a_position;
    v_world = world.xyz;
    v_color = a_color;
    v_view = (u_modelview * world).xyz;
    gl_Position = u_mvp * world;
}
"""
_CUT = """varying vec3 v_world;
uniform vec3 u_section_lo;
uniform vec3 u_section_hi;
void main() {
    if (any(lessThan(v_world, u_section_lo)) || any(greaterThan(v_world, u_section_hi))) {
        discard;
    }"""
_FRAGMENT_CUT = _FRAGMENT.replace("void main() {", _CUT, 1)
if _FRAGMENT_CUT == _FRAGMENT:
    raise RuntimeError("gl_items' fragment shader has no main() to add the section box to")
_INSTANCED = ShaderProgram("ifcscript-instanced", [VertexShader(_VERTEX), FragmentShader(_FRAGMENT_CUT)])
_NO_SECTION = ((-3.0e38,) * 3, (3.0e38,) * 3)
_STRIDE = 4 * INSTANCE_FLOATS
# Per-instance attributes and their offsets (bytes) in an instance's 20 floats.
_PER_INSTANCE = (("a_column0", 0), ("a_column1", 16), ("a_column2", 32), ("a_column3", 48), ("a_color", 64))
# GL 3.3's calls, or the ARB extensions' on a GL 2.1 context (macOS's legacy profile).
_divisor = alternate("glVertexAttribDivisor", GL.glVertexAttribDivisor, instanced_arrays.glVertexAttribDivisorARB)
_draw_instanced = alternate("glDrawElementsInstanced", GL.glDrawElementsInstanced,
                            draw_instanced.glDrawElementsInstancedARB)


class InstanceBuffers:
    """An `InstanceSet` in GPU buffers, brought up to date by its revisions as it is drawn."""

    def __init__(self) -> None:
        self._positions = QtOpenGL.QOpenGLBuffer(QtOpenGL.QOpenGLBuffer.Type.VertexBuffer)
        self._triangles = QtOpenGL.QOpenGLBuffer(QtOpenGL.QOpenGLBuffer.Type.IndexBuffer)
        # opaque, see-through, and the two coarse lists drawn while the camera moves
        self._instances = [QtOpenGL.QOpenGLBuffer(QtOpenGL.QOpenGLBuffer.Type.VertexBuffer) for _ in range(4)]
        self._groups = [np.empty((0, 2), np.int64) for _ in range(4)]
        self._meshes = np.empty((0, 2), np.int64)
        self._set: InstanceSet | None = None
        self._uploaded = (-1, -1)  # geometry and instances revisions on the GPU
        self._coarse: InstanceSet | None = None
        self._coarse_pending = False
        self.uploads = 0  # buffers written (the tests count them)

    def set_instances(self, instances: InstanceSet) -> None:
        """The instances to draw from now on (uploaded at the next paint, only what changed)."""
        self._set = instances

    @property
    def section(self) -> Box | None:
        """The section box to cut the instances at."""
        return self._set.section if self._set is not None else None

    def set_coarse(self, instances: InstanceSet | None) -> None:
        """Draw only these instances until called with None."""
        self._coarse = instances
        self._coarse_pending = instances is not None

    def draw(self, program: int, transparent: bool) -> None:
        """Draw one pass's instances, mesh by mesh (the program in use, uniforms set)."""
        self._upload()
        which = (2 if self._coarse is not None else 0) + int(transparent)
        groups = self._groups[which]
        if not len(groups) or not groups[:, 1].any():
            return
        position = GL.glGetAttribLocation(program, "a_position")
        self._positions.bind()
        GL.glVertexAttribPointer(position, 3, GL.GL_FLOAT, False, 0, None)
        GL.glEnableVertexAttribArray(position)
        self._positions.release()
        located = [(GL.glGetAttribLocation(program, name), offset) for name, offset in _PER_INSTANCE]
        for location, _ in located:
            GL.glEnableVertexAttribArray(location)
            _divisor(location, 1)
        self._triangles.bind()
        self._instances[which].bind()
        try:
            for (first_triangle, triangles), (first, count) in zip(self._meshes.tolist(), groups.tolist()):
                if not count or not triangles:
                    continue
                for location, offset in located:
                    GL.glVertexAttribPointer(location, 4, GL.GL_FLOAT, False, _STRIDE,
                                             ctypes.c_void_p(first * _STRIDE + offset))
                _draw_instanced(GL.GL_TRIANGLES, 3 * triangles, GL.GL_UNSIGNED_INT,
                                ctypes.c_void_p(12 * first_triangle), count)
        finally:
            self._instances[which].release()
            self._triangles.release()
            # Other items use these attribute numbers per vertex: leave them as found.
            for location, _ in located:
                _divisor(location, 0)
                GL.glDisableVertexAttribArray(location)
            GL.glDisableVertexAttribArray(position)

    def _upload(self) -> None:
        instances = self._set
        if instances is None:
            return
        geometry, revision = self._uploaded
        if instances.geometry_revision != geometry:
            self._write(self._positions, instances.positions)
            self._write(self._triangles, instances.triangles)
            self._meshes = instances.meshes
        if instances.geometry_revision != geometry or instances.instances_revision != revision:
            self._write(self._instances[0], instances.opaque)
            self._write(self._instances[1], instances.transparent)
            self._groups[0], self._groups[1] = instances.opaque_groups, instances.transparent_groups
        self._uploaded = (instances.geometry_revision, instances.instances_revision)
        if self._coarse_pending and self._coarse is not None:
            self._write(self._instances[2], self._coarse.opaque)
            self._write(self._instances[3], self._coarse.transparent)
            self._groups[2], self._groups[3] = self._coarse.opaque_groups, self._coarse.transparent_groups
            self._coarse_pending = False

    def _write(self, buffer: Any, array: np.ndarray) -> None:
        self.uploads += 1
        upload(buffer, array)

    def destroy(self) -> None:
        """Free the GPU buffers (the GL context must be current)."""
        for buffer in (self._positions, self._triangles, *self._instances):
            if buffer.isCreated():
                buffer.destroy()


class InstancePass(GLGraphicsItem.GLGraphicsItem):
    """Draws the opaque instances, or the see-through ones (blended, depth kept), as `ChunkPass`
    draws a chunk's triangles: the same depth values, so the same order among the view's items."""

    def __init__(self, buffers: InstanceBuffers, transparent: bool) -> None:
        super().__init__()
        self.buffers = buffers
        self.transparent = transparent
        self.setDepthValue(10 if transparent else 0)

    def paint(self) -> None:
        begin_pass(self.transparent)
        program = _INSTANCED.program()
        with _INSTANCED:
            set_lighting(_INSTANCED, self)
            lo, hi = self.buffers.section or _NO_SECTION
            GL.glUniform3f(_INSTANCED.uniform("u_section_lo"), *(float(v) for v in lo))
            GL.glUniform3f(_INSTANCED.uniform("u_section_hi"), *(float(v) for v in hi))
            self.buffers.draw(program, self.transparent)
        GL.glDepthMask(GL.GL_TRUE)


class InstanceItems:
    """A scene's instances in a view: their buffers and the opaque and see-through passes."""

    def __init__(self) -> None:
        self._buffers: InstanceBuffers | None = None

    def update(self, view: Any, instances: InstanceSet) -> None:
        """Follow the scene's instances (items made at the first instance; uploads wait for the next frame)."""
        if self._buffers is None:
            if not len(instances.meshes):
                return
            self._buffers = InstanceBuffers()
            view.addItem(InstancePass(self._buffers, transparent=False))
            view.addItem(InstancePass(self._buffers, transparent=True))
        self._buffers.set_instances(instances)

    def set_coarse(self, instances: InstanceSet | None) -> None:
        """The instances to draw instead of all while the camera moves; None: all again."""
        if self._buffers is not None:
            self._buffers.set_coarse(instances)

    @property
    def uploads(self) -> int:
        return self._buffers.uploads if self._buffers is not None else 0

    def remove(self, view: Any) -> None:
        """Take the items out of the view and free their GPU buffers."""
        for item in [item for item in view.items if isinstance(item, InstancePass)]:
            view.removeItem(item)
        if self._buffers is not None and view.isValid():
            view.makeCurrent()
            self._buffers.destroy()
            view.doneCurrent()
        self._buffers = None
