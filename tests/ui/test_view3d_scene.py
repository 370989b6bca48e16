"""The 3D view's scene, picking and camera, without Qt or GL: synthetic boxes in, what a user sees out."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from ifcscript_desktop.ui.view3d import Camera, GeometryBatch, Scene, distance, pick, ray_through
from ifcscript_desktop.ui.view3d.camera import VIEWS
from ifcscript_desktop.ui.view3d.legend import GRADIENT, PALETTE, rgba
from ifcscript_desktop.ui.view3d.picking import project
from ifcscript_desktop.ui.view3d.scene import GHOST_COLOR, SELECTION_COLOR

VIEWPORT = (800, 600)
GREY = (0.8, 0.8, 0.8, 1.0)


def box_mesh(size: Sequence[float] = (1.0, 1.0, 1.0)) -> tuple[np.ndarray, np.ndarray]:
    """A box from the origin to `size`: 8 corners and 12 triangles facing out."""
    x, y, z = size
    positions = np.array([[0, 0, 0], [x, 0, 0], [x, y, 0], [0, y, 0],
                          [0, 0, z], [x, 0, z], [x, y, z], [0, y, z]], np.float32)
    triangles = np.array([[0, 2, 1], [0, 3, 2], [4, 5, 6], [4, 6, 7], [0, 1, 5], [0, 5, 4],
                          [1, 2, 6], [1, 6, 5], [2, 3, 7], [2, 7, 6], [3, 0, 4], [3, 4, 7]], np.uint32)
    return positions, triangles


def moved(x: float = 0.0, y: float = 0.0, z: float = 0.0) -> np.ndarray:
    m = np.eye(4, dtype=np.float32)
    m[:3, 3] = (x, y, z)
    return m


def batch(elements: Sequence[dict], meshes: Sequence[tuple[np.ndarray, np.ndarray]] = ()) -> GeometryBatch:
    """A batch of elements given as dicts: step, geometry, at (x, y, z), class, storey, color."""
    return GeometryBatch(
        meshes=list(meshes),
        step_ids=[e["step"] for e in elements],
        global_ids=[e.get("gid", f"G{e['step']}") for e in elements],
        classes=[e.get("cls", "IfcWall") for e in elements],
        storeys=[e.get("storey") for e in elements],
        geometry=[e.get("geometry", 0) for e in elements],
        transforms=np.stack([moved(*e.get("at", (0, 0, 0))) for e in elements]) if elements else np.empty((0, 4, 4)),
        colors=[e.get("color", GREY) for e in elements],
    )


def boxes_scene(at: dict[int, tuple[float, float, float]], classes: dict[int, str] | None = None,
                storeys: dict[int, int] | None = None) -> Scene:
    """Unit boxes with the given STEP ids at the given places (one shared mesh)."""
    scene = Scene()
    scene.add_batch(batch([{"step": step, "at": where, "cls": (classes or {}).get(step, "IfcWall"),
                            "storey": (storeys or {}).get(step)} for step, where in at.items()], [box_mesh()]))
    return scene


def vertices_colored(scene: Scene) -> dict[int, np.ndarray]:
    """Per STEP id, the colours of its vertices in the merged arrays."""
    out: dict[int, list[np.ndarray]] = {}
    for chunk in scene.merged():
        for row in np.unique(chunk.elements):
            out.setdefault(scene.step_id(int(row)), []).append(chunk.colors[chunk.elements == row])
    return {step: np.concatenate(parts) for step, parts in out.items()}


def drawn_steps(scene: Scene) -> set[int]:
    steps = set()
    for chunk in scene.merged():
        for triangles in (chunk.opaque_triangles, chunk.transparent_triangles):
            steps |= {scene.step_id(int(r)) for r in np.unique(chunk.elements[triangles[:, 0]])}
    return steps


def ray_at_pixel(camera: Camera, pixel: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    aspect = VIEWPORT[0] / VIEWPORT[1]
    return ray_through(pixel, VIEWPORT, camera.view_matrix(), camera.projection_matrix(aspect))


def changed_steps(before: dict[int, np.ndarray], after: dict[int, np.ndarray]) -> set[int]:
    return {step for step in before if not np.array_equal(before[step], after[step])}


# --- Geometry -------------------------------------------------------------------------------


def test_a_slab_of_20_by_5_metres_has_those_bounds_and_that_aspect_from_the_top() -> None:
    scene = Scene()
    scene.add_batch(batch([{"step": 1, "cls": "IfcSlab", "at": (3, 4, 0)}], [box_mesh((20, 5, 0.3))]))
    box = scene.bounds()
    assert box is not None
    assert np.allclose(box.lo, (3, 4, 0)) and np.allclose(box.hi, (23, 9, 0.3))
    camera = Camera()
    camera.set_view("top")
    camera.fit(box, VIEWPORT[0] / VIEWPORT[1])
    for orthographic in (False, True):
        camera.orthographic = orthographic
        chunk = scene.merged()[0]
        pixels = project(chunk.positions[chunk.opaque_triangles.ravel()], VIEWPORT, camera.view_matrix(),
                         camera.projection_matrix(VIEWPORT[0] / VIEWPORT[1]))
        width, height = np.ptp(pixels[:, 0]), np.ptp(pixels[:, 1])
        assert width / height == pytest.approx(4.0, rel=0.1)
        assert width > 300  # the slab fills the view, not a speck


def test_elements_sharing_a_mesh_hold_it_once_and_are_each_placed() -> None:
    scene = Scene()
    scene.add_batch(batch([{"step": 100 + i, "at": (i % 100 * 2, i // 100 * 2, 0)} for i in range(10_000)],
                          [box_mesh()]))
    assert scene.geometry_count == 1 and scene.geometry_vertex_count == 8
    assert scene.merged() == []  # drawn as 10,000 instances of the mesh, not 80,000 merged vertices
    instances = scene.instanced()
    assert len(instances.positions) == 8 and len(instances.triangles) == 12 and len(instances.opaque) == 10_000
    box = scene.bounds([100 + 9_999])
    assert box is not None and np.allclose(box.lo, (198, 198, 0)) and np.allclose(box.hi, (199, 199, 1))
    assert instances.positions.dtype == np.float32 and instances.triangles.dtype == np.uint32


def test_batches_are_appended_and_a_later_batch_may_place_an_earlier_mesh() -> None:
    scene = Scene()
    scene.add_batch(batch([{"step": 1}], [box_mesh()]))
    first = scene.merged()[0]
    first_positions = first.positions.copy()
    scene.add_batch(batch([{"step": 2, "geometry": 1, "at": (5, 0, 0)}, {"step": 3, "geometry": 0, "at": (9, 0, 0)}],
                          [box_mesh((2, 2, 2))]))
    after = scene.merged()
    assert len(after) == 1 and len(after[0].positions) == 24
    assert np.array_equal(after[0].positions[:8], first_positions)
    assert after[0].geometry_revision > first.geometry_revision
    assert scene.geometry_count == 2
    assert np.allclose(scene.bounds([3]).hi, (10, 1, 1))  # type: ignore[union-attr]


def test_glass_goes_to_a_transparent_chunk_and_big_models_to_several_capped_chunks() -> None:
    scene = Scene(chunk_vertices=80, instance_min=1_000)  # merged, not instances
    scene.add_batch(batch([{"step": i, "at": (i * 2, 0, 0)} for i in range(25)]
                          + [{"step": 99, "color": (0.5, 0.7, 0.9, 0.3), "cls": "IfcWindow"}], [box_mesh()]))
    chunks = scene.merged()
    opaque = [c for c in chunks if not c.transparent]
    glass = [c for c in chunks if c.transparent]
    assert [len(c.positions) for c in opaque] == [80, 80, 40]
    assert len(glass) == 1 and len(glass[0].transparent_triangles) == 12 and len(glass[0].opaque_triangles) == 0
    assert drawn_steps(scene) == set(range(25)) | {99}


def test_a_window_of_frame_and_glass_is_one_element_of_two_colours() -> None:
    scene = Scene()
    glass = (0.6, 0.8, 0.9, 0.3)
    scene.add_batch(batch([{"step": 5, "cls": "IfcWindow"}, {"step": 5, "cls": "IfcWindow", "geometry": 1, "color": glass},
                           {"step": 6, "at": (0, 5, 0)}], [box_mesh((1, 0.1, 1)), box_mesh((0.8, 0.02, 0.8))]))
    assert {c.transparent for c in scene.merged()} == {False, True}
    scene.select([5])
    colours = vertices_colored(scene)
    assert len(colours[5]) == 16 and np.allclose(colours[5], SELECTION_COLOR)
    hit = pick(scene, (0.5, -5, 0.5), (0, 1, 0))
    assert hit is not None and hit.step_id == 5
    scene.hide([5])
    assert drawn_steps(scene) == {6}


def test_an_element_without_a_mesh_is_never_drawn_picked_nor_framed() -> None:
    scene = Scene()
    scene.add_batch(batch([{"step": 1}, {"step": 2, "geometry": 1, "at": (100, 0, 0)}],
                          [box_mesh(), (np.empty((0, 3), np.float32), np.empty((0, 3), np.uint32))]))
    box = scene.bounds()
    assert box is not None and np.allclose(box.hi, (1, 1, 1))
    assert drawn_steps(scene) == {1}
    assert pick(scene, (100, 0, 10), (0, 0, -1)) is None


def test_colours_and_visibility_change_without_merging_the_geometry_again() -> None:
    scene = boxes_scene({1: (0, 0, 0), 2: (2, 0, 0)}, classes={2: "IfcSlab"})
    before = scene.merged()[0]
    scene.select([1])
    scene.highlight([2], "#00FF00")
    scene.color_by({1: "a"})
    scene.ghost_others(True)
    after_colours = scene.merged()[0]
    assert after_colours.geometry_revision == before.geometry_revision
    assert after_colours.color_revision > before.color_revision
    scene.hide([1])
    scene.set_class_visible("IfcSlab", False)
    scene.set_section_box((0, 0, 0), (1, 1, 1))
    after = scene.merged()[0]
    assert after.geometry_revision == before.geometry_revision
    assert after.triangles_revision > after_colours.triangles_revision


def test_while_the_camera_moves_small_elements_can_be_left_out() -> None:
    scene = Scene()
    scene.add_batch(batch([{"step": 1}, {"step": 2, "geometry": 1, "at": (5, 0, 0)}],
                          [box_mesh((10, 10, 3)), box_mesh((0.1, 0.1, 0.1))]))
    (opaque, transparent), = scene.coarse_triangles(min_size=1.0)
    chunk = scene.merged()[0]
    assert {scene.step_id(int(r)) for r in chunk.elements[opaque[:, 0]]} == {1} and len(transparent) == 0


def test_points_are_shown_in_model_coordinates() -> None:
    scene = Scene(origin=(2_600_000.0, 1_200_000.0, 400.0))
    assert np.array_equal(scene.model_point((1.5, -2.0, 0.25)), (2_600_001.5, 1_199_998.0, 400.25))


def test_compact_frees_the_room_kept_for_more_batches() -> None:
    scene = Scene(instance_min=1_000)
    for start in range(0, 300, 100):
        scene.add_batch(batch([{"step": i, "at": (i * 2, 0, 0)} for i in range(start, start + 100)],
                              [box_mesh()] if start == 0 else []))
    chunk = scene.merged()[0]
    exact = sum(a.nbytes for a in (chunk.positions, chunk.colors, chunk.elements, chunk.triangles,
                                   chunk.opaque_triangles, chunk.transparent_triangles))
    assert scene.nbytes > exact
    scene.compact()
    assert scene.nbytes == exact
    scene.add_batch(batch([{"step": 1000, "at": (0, 9, 0)}]))  # still takes more afterwards
    assert 1000 in drawn_steps(scene)


def test_a_broken_batch_is_refused_with_a_sentence() -> None:
    scene = Scene()
    with pytest.raises(ValueError, match="does not have"):
        scene.add_batch(batch([{"step": 1, "geometry": 3}], [box_mesh()]))
    positions, triangles = box_mesh()
    with pytest.raises(ValueError, match="vertex it does not have"):
        scene.add_batch(batch([{"step": 1}], [box_mesh(), (positions[:4], triangles)]))
    with pytest.raises(ValueError, match="not a number"):
        scene.add_batch(batch([{"step": 1, "at": (np.nan, 0, 0)}], [box_mesh()]))
    assert scene.geometry_count == 0 and scene.element_count == 0  # nothing of a refused batch stays
    scene.add_batch(batch([{"step": 1}], [box_mesh()]))
    assert drawn_steps(scene) == {1}


# --- Colours --------------------------------------------------------------------------------


def test_select_highlight_and_ghost_change_exactly_those_elements_vertices() -> None:
    scene = boxes_scene({1: (0, 0, 0), 2: (2, 0, 0), 3: (4, 0, 0), 4: (6, 0, 0)})
    start = vertices_colored(scene)
    scene.select([2])
    selected = vertices_colored(scene)
    assert changed_steps(start, selected) == {2}
    assert np.allclose(selected[2], SELECTION_COLOR)
    scene.select([3], add=True)
    assert changed_steps(start, vertices_colored(scene)) == {2, 3}
    scene.select([])
    scene.highlight([1, 4], "#FF0000")
    highlighted = vertices_colored(scene)
    assert changed_steps(start, highlighted) == {1, 4}
    assert np.allclose(highlighted[4], (1, 0, 0, 1))
    scene.ghost_others(True)
    ghosted = vertices_colored(scene)
    assert changed_steps(highlighted, ghosted) == {2, 3}
    assert np.allclose(ghosted[2], GHOST_COLOR)
    drawn_see_through = {scene.step_id(int(r)) for c in scene.merged()
                         for r in np.unique(c.elements[c.transparent_triangles[:, 0]])}
    assert drawn_see_through == {2, 3}
    scene.ghost_others(False)
    scene.clear_highlights()
    assert changed_steps(start, vertices_colored(scene)) == set()


def test_selection_made_before_the_geometry_arrives_shows_when_it_does() -> None:
    scene = boxes_scene({1: (0, 0, 0)})
    scene.select([7])
    scene.add_batch(batch([{"step": 7, "at": (3, 0, 0)}]))
    assert np.allclose(vertices_colored(scene)[7], SELECTION_COLOR)


def test_color_by_categories_gives_distinct_colours_and_counts_ids_the_scene_lacks() -> None:
    scene = boxes_scene({1: (0, 0, 0), 2: (2, 0, 0), 3: (4, 0, 0), 4: (6, 0, 0)})
    start = vertices_colored(scene)
    legend = scene.color_by({1: "EI60", 2: "EI60", 3: "EI30", 999: "EI60", 1000: "REI90"})
    assert legend.kind == "category" and legend.not_found == 2
    assert [(e.label, e.count) for e in legend.entries] == [("EI60", 2), ("EI30", 1), ("REI90", 0)]
    colours = vertices_colored(scene)
    assert changed_steps(start, colours) == {1, 2, 3}
    assert np.allclose(colours[1], rgba(legend.entries[0].color))
    assert np.allclose(colours[3], rgba(legend.entries[1].color))
    assert len(set(PALETTE)) >= 12
    many = scene.color_by({i: f"type {i}" for i in range(1, 5)} | {i: f"type {i}" for i in range(10, 40)})
    assert len({e.color for e in many.entries}) == len(many.entries) and many.entries[-1].label.startswith("Other")
    assert many.not_found == 30


def test_color_by_numbers_runs_a_gradient_from_min_to_max() -> None:
    scene = boxes_scene({1: (0, 0, 0), 2: (2, 0, 0), 3: (4, 0, 0)})
    legend = scene.color_by({1: 2.0, 2: 12.0, 3: 7.0, 50: None})
    assert legend.kind == "number" and (legend.low, legend.high) == (2.0, 12.0) and legend.not_found == 1
    colours = vertices_colored(scene)
    assert np.allclose(colours[1], rgba(GRADIENT[0]), atol=1e-6)
    assert np.allclose(colours[2], rgba(GRADIENT[-1]), atol=1e-6)
    assert not np.allclose(colours[3], colours[1]) and not np.allclose(colours[3], colours[2])
    assert sum(e.count for e in legend.entries) == 3
    scene.add_batch(batch([{"step": 50}]))
    assert scene.legend is not None and scene.legend.not_found == 0


# --- Visibility and picking -----------------------------------------------------------------


def test_picking_the_centre_of_a_one_wall_scene_returns_the_wall() -> None:
    scene = Scene()
    scene.add_batch(batch([{"step": 42, "gid": "2O2Fr$t4X7Zf8NOew3FLOH", "cls": "IfcWall"}], [box_mesh((4, 0.2, 3))]))
    for name in VIEWS:
        camera = Camera()
        camera.set_view(name)
        camera.fit(scene.bounds(), VIEWPORT[0] / VIEWPORT[1])  # type: ignore[arg-type]
        hit = pick(scene, *ray_at_pixel(camera, (VIEWPORT[0] / 2, VIEWPORT[1] / 2)))
        assert hit is not None and hit.step_id == 42 and hit.global_id == "2O2Fr$t4X7Zf8NOew3FLOH", name
    assert pick(scene, (-5, -5, -5), (-1, 0, 0)) is None


def test_hidden_isolated_and_class_hidden_elements_cannot_be_picked() -> None:
    # Three boxes one behind the other along +Y, a space in front of them all.
    scene = boxes_scene({1: (0, 0, 0), 2: (0, 3, 0), 3: (0, 6, 0), 9: (0, -3, 0)}, classes={9: "IfcSpace"})
    origin, direction = (0.5, -10.0, 0.5), (0.0, 1.0, 0.0)
    assert scene.classes["IfcSpace"] is False and 9 not in drawn_steps(scene)
    assert pick(scene, origin, direction).step_id == 1  # type: ignore[union-attr]
    scene.hide([1])
    hit = pick(scene, origin, direction)
    assert hit is not None and hit.step_id == 2 and hit.point[1] == pytest.approx(3.0)
    assert drawn_steps(scene) == {2, 3}
    scene.isolate([3])
    assert pick(scene, origin, direction).step_id == 3  # type: ignore[union-attr]
    assert drawn_steps(scene) == {3}
    scene.show_all()
    scene.set_class_visible("IfcWall", False)
    assert pick(scene, origin, direction) is None and drawn_steps(scene) == set()
    scene.set_class_visible("IfcSpace", True)
    assert pick(scene, origin, direction).step_id == 9  # type: ignore[union-attr]


def test_storeys_can_be_hidden() -> None:
    scene = boxes_scene({1: (0, 0, 0), 2: (0, 0, 3)}, storeys={1: 500, 2: 600})
    assert scene.storeys == {500: True, 600: True}
    scene.set_storey_visible(500, False)
    assert drawn_steps(scene) == {2}
    hit = pick(scene, (0.5, 0.5, -10), (0, 0, 1))
    assert hit is not None and hit.step_id == 2
    assert np.allclose(scene.bounds().lo, (0, 0, 3))  # type: ignore[union-attr]


def test_a_section_box_hides_what_is_outside_it() -> None:
    scene = boxes_scene({1: (0, 0, 0), 2: (0, 0, 3), 3: (0, 0, 6)})
    scene.set_section_box((-1, -1, -1), (2, 2, 4.5))
    assert drawn_steps(scene) == {1, 2}
    hit = pick(scene, (0.5, 0.5, 20), (0, 0, -1))  # from above: the top box is cut away
    assert hit is not None and hit.step_id == 2
    scene.set_section_box((-1, -1, -1), (2, 2, 3.5))  # cuts through box 2: its top is not hit
    hit = pick(scene, (0.5, 0.5, 20), (0, 0, -1))
    assert hit is not None and hit.step_id == 2 and hit.point[2] == pytest.approx(3.0)
    chunk = scene.merged()[0]
    drawn = chunk.positions[chunk.opaque_triangles]
    assert drawn[:, :, 2].min(axis=1).max() == pytest.approx(3.0)  # box 2's top face, at 4 m, is cut away
    assert len(chunk.opaque_triangles) == 12 + 10
    box = scene.bounds()
    assert box is not None and box.hi[2] == pytest.approx(3.5)
    scene.clear_section_box()
    assert drawn_steps(scene) == {1, 2, 3}


def test_a_pick_among_100k_boxes_finds_the_one_under_the_ray() -> None:
    """Scale, not speed (speed is the bench's: a pick takes ~15-25 ms here)."""
    count = 100_000
    side = int(np.ceil(np.sqrt(count)))
    elements = [{"step": i + 1, "at": (i % side * 2.0, i // side * 2.0, 0.0)} for i in range(count)]
    scene = Scene()
    scene.add_batch(batch(elements, [box_mesh()]))
    scene.merged()
    camera = Camera()
    camera.fit(scene.bounds(), VIEWPORT[0] / VIEWPORT[1])  # type: ignore[arg-type]
    centre = pick(scene, *ray_at_pixel(camera, (VIEWPORT[0] // 2, VIEWPORT[1] // 2)))
    assert centre is not None
    hit = pick(scene, (100.5, 100.5, 50), (0, 0, -1))
    assert hit is not None and hit.step_id == 50 * side + 50 + 1


# --- Camera ---------------------------------------------------------------------------------


@pytest.mark.parametrize("orthographic", [False, True])
@pytest.mark.parametrize("view", sorted(VIEWS))
def test_fit_all_frames_every_visible_element(view: str, orthographic: bool) -> None:
    scene = boxes_scene({1: (0, 0, 0), 2: (30, 2, 0), 3: (-4, 12, 7), 4: (500, 500, 500)})
    scene.hide([4])
    box = scene.bounds()
    assert box is not None and box.hi[0] == pytest.approx(31)
    camera = Camera()
    camera.orthographic = orthographic
    camera.set_view(view)
    camera.fit(box, VIEWPORT[0] / VIEWPORT[1])
    corners = np.array([[x, y, z] for x in (box.lo[0], box.hi[0]) for y in (box.lo[1], box.hi[1])
                        for z in (box.lo[2], box.hi[2])])
    pixels = project(corners, VIEWPORT, camera.view_matrix(), camera.projection_matrix(VIEWPORT[0] / VIEWPORT[1]))
    assert (pixels[:, 0] >= 0).all() and (pixels[:, 0] <= VIEWPORT[0]).all()
    assert (pixels[:, 1] >= 0).all() and (pixels[:, 1] <= VIEWPORT[1]).all()
    assert (np.abs(pixels[:, 2]) < 1).all()  # between the near and far planes


def test_zoom_to_a_selection_frames_it_and_keeps_the_rest_between_the_planes() -> None:
    scene = boxes_scene({1: (0, 0, 0), 2: (-200, 150, -30)})  # far beyond the selection, seen from the iso view
    camera = Camera()
    camera.depth_bounds = scene.bounds()
    camera.fit(scene.bounds([1]), 4 / 3)  # type: ignore[arg-type]
    pixels = project(np.array([[0, 0, 0], [1, 1, 1], [-199, 151, -29]]), VIEWPORT, camera.view_matrix(),
                     camera.projection_matrix(4 / 3))
    assert (pixels[:2, 0] > 0).all() and (pixels[:2, 0] < VIEWPORT[0]).all()
    assert np.ptp(pixels[:2, 1]) > 100  # the box fills a good part of the view
    assert (np.abs(pixels[:, 2]) < 1).all()


@pytest.mark.parametrize("orthographic", [False, True])
def test_rays_pass_through_the_points_that_project_to_their_pixel(orthographic: bool) -> None:
    camera = Camera()
    camera.orthographic = orthographic
    camera.fit(scene_box := boxes_scene({1: (0, 0, 0), 2: (10, 10, 3)}).bounds(), 4 / 3)  # type: ignore[arg-type]
    assert scene_box is not None
    points = np.array([[0, 0, 0], [10, 10, 3], [5, 2, 1], [11, 11, 4]], np.float64)
    pixels = project(points, VIEWPORT, camera.view_matrix(), camera.projection_matrix(4 / 3))
    directions = []
    for point, pixel in zip(points, pixels):
        origin, direction = ray_at_pixel(camera, pixel[:2])
        offset = point - origin
        assert np.linalg.norm(offset - np.dot(offset, direction) * direction) < 1e-6
        directions.append(direction)
    # Orthographic rays are parallel; perspective ones spread from the eye.
    assert np.allclose(directions[0], directions[1]) == orthographic


def test_orbit_keeps_the_pivot_under_the_cursor_and_zoom_the_point_it_zooms_to() -> None:
    camera = Camera()
    camera.fit(boxes_scene({1: (0, 0, 0), 2: (10, 10, 3)}).bounds(), 4 / 3)  # type: ignore[arg-type]

    def pixel_of(point: np.ndarray) -> np.ndarray:
        return project(point, VIEWPORT, camera.view_matrix(), camera.projection_matrix(4 / 3))[0, :2]

    pivot = np.array([2.0, 1.0, 0.5])
    before = pixel_of(pivot)
    camera.orbit(30, -10, pivot=pivot)
    assert np.allclose(pixel_of(pivot), before, atol=1e-6)
    camera.orbit(0, 500, pivot=pivot)
    assert camera.pitch == -90.0  # stops straight down, never upside down
    point = np.array([8.0, 9.0, 1.0])
    for orthographic in (False, True):
        camera.orthographic = orthographic
        before = pixel_of(point)
        distance_before = camera.distance
        camera.zoom(0.5, towards=point)
        assert camera.distance == pytest.approx(distance_before / 2)
        assert np.allclose(pixel_of(point), before, atol=1e-6)


def test_pan_moves_the_target_with_the_cursor() -> None:
    camera = Camera()
    camera.set_view("front")
    camera.target = np.array([0.0, 0.0, 0.0])
    before = project(camera.target, VIEWPORT, camera.view_matrix(), camera.projection_matrix(4 / 3))[0]
    point = camera.target.copy()
    camera.pan(40, -25, VIEWPORT)
    after = project(point, VIEWPORT, camera.view_matrix(), camera.projection_matrix(4 / 3))[0]
    assert np.allclose(after[:2] - before[:2], (40, -25), atol=1e-6)


def test_measure_distance() -> None:
    assert distance((0, 0, 0), (3, 4, 12)) == pytest.approx(13.0)
