"""The scene's instances, without Qt or GL: a mesh placed by many elements is held once and drawn
once per element, and everything a user does to elements does it to those copies too."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ifcscript_desktop.ui.view3d import Scene, pick
from ifcscript_desktop.ui.view3d.arrays import InstanceSet
from ifcscript_desktop.ui.view3d.scene import GHOST_COLOR, INSTANCE_MIN, SELECTION_COLOR
from tests.ui.test_view3d_scene import GREY, batch, box_mesh, moved

COPIES = 1_000


def desks(count: int = COPIES, first_step: int = 1, z: float = 0.0, **extra: object) -> list[dict[str, object]]:
    """`count` copies of mesh 0 on a grid 2 m apart at height `z`, STEP ids from `first_step`."""
    return [{"step": first_step + i, "at": (i % 40 * 2.0, i // 40 * 2.0, z), **extra} for i in range(count)]


def desk_scene(count: int = COPIES) -> Scene:
    scene = Scene()
    scene.add_batch(batch(desks(count), [box_mesh()]))
    return scene


def drawn(scene: Scene, instances: InstanceSet | None = None) -> dict[int, tuple[bool, np.ndarray]]:
    """Per STEP id drawn as an instance: whether see-through, and its colour (found by its place)."""
    instances = instances or scene.instanced()
    lo, _ = scene.element_bounds
    at = {tuple(np.round(lo[row], 3)): scene.step_id(row) for row in range(scene.element_count)}
    out = {}
    for see_through, data in ((False, instances.opaque), (True, instances.transparent)):
        for values in data:
            out[at[tuple(np.round(values[12:15], 3))]] = (see_through, values[16:])
    return out


def test_a_thousand_copies_hold_their_mesh_once_and_merge_no_vertices() -> None:
    few, many = desk_scene(10), desk_scene(COPIES)
    assert many.geometry_count == 1 and many.geometry_vertex_count == 8
    instances = many.instanced()
    assert len(instances.positions) == 8 and len(instances.triangles) == 12
    assert len(instances.opaque) == COPIES and len(instances.transparent) == 0
    assert instances.opaque_groups.tolist() == [[0, COPIES]]
    merged = sum(len(c.positions) for c in many.merged())
    assert merged == sum(len(c.positions) for c in few.merged()) == 0
    # Merging would hold 8 vertices (position, colour, row: 32 bytes) and 12 triangles (36 bytes) a copy.
    assert many.nbytes < COPIES * (8 * 32 + 12 * 36) / 4
    assert many.instance_count == COPIES and set(drawn(many)) == set(range(1, COPIES + 1))


def test_copies_are_counted_across_batches_and_the_first_ones_stay_merged() -> None:
    scene = Scene()
    scene.add_batch(batch(desks(INSTANCE_MIN - 1), [box_mesh()]))
    assert scene.instance_count == 0 and len(scene.merged()[0].positions) == 8 * (INSTANCE_MIN - 1)
    scene.add_batch(batch(desks(100, first_step=1_000)))
    assert scene.instance_count == 100 and len(scene.merged()[0].positions) == 8 * (INSTANCE_MIN - 1)
    assert set(drawn(scene)) == set(range(1_000, 1_100))
    # A mesh placed fewer times than the threshold stays merged.
    scene.add_batch(batch([{"step": 5_000, "geometry": 1}], [box_mesh((3, 3, 3))]))
    assert scene.instance_count == 100 and len(scene.instanced().positions) == 8


def test_bounds_of_a_turned_copy_come_from_its_mesh_through_its_transform() -> None:
    scene = Scene()
    turned = np.eye(4, dtype=np.float32)
    turned[:3, :3] = [[0, -1, 0], [1, 0, 0], [0, 0, 1]]  # a quarter turn about z
    turned[:3, 3] = (10, 0, 0)
    elements = batch(desks(20), [box_mesh((2, 1, 1))])
    transforms = np.asarray(elements.transforms).copy()
    transforms[-1] = turned
    scene.add_batch(dataclasses.replace(elements, transforms=transforms))
    box = scene.bounds([20])
    assert box is not None and np.allclose(box.lo, (9, 0, 0)) and np.allclose(box.hi, (10, 2, 1))
    whole = scene.bounds()
    assert whole is not None and np.allclose(whole.hi, (38, 2, 1))  # the copy at 36 m is 2 m long


def test_a_click_on_a_copy_picks_it_at_its_surface() -> None:
    scene = desk_scene()
    hit = pick(scene, (42.5, 4.5, 10.0), (0, 0, -1))  # above the copy at (42, 4): the 102nd
    assert hit is not None and hit.step_id == 102 and hit.point[2] == pytest.approx(1.0)
    corners, owners = scene.triangles_of(scene.rows_of([102]))
    assert len(corners) == 12 and set(owners.tolist()) == {101}
    assert np.allclose(corners.reshape(-1, 3).min(axis=0), (42, 4, 0))
    scene.hide([102])
    hit = pick(scene, (42.5, 4.5, 10.0), (0, 0, -1))
    assert hit is None


def test_selection_highlight_colour_and_ghost_colour_copies() -> None:
    scene = desk_scene(40)
    before = scene.instanced()
    scene.select([3])
    after = scene.instanced()
    assert after.instances_revision > before.instances_revision
    assert after.geometry_revision == before.geometry_revision  # the mesh is not uploaded again
    colours = drawn(scene)
    assert np.allclose(colours[3][1], SELECTION_COLOR) and np.allclose(colours[4][1], GREY)
    scene.highlight([4], "#FF0000")
    scene.color_by({5: "EI60"})
    colours = drawn(scene)
    assert np.allclose(colours[4][1], (1, 0, 0, 1)) and not np.allclose(colours[5][1], GREY)
    scene.ghost_others(True)
    colours = drawn(scene)
    see_through = {step for step, (glass, _) in colours.items() if glass}
    assert see_through == set(range(1, 41)) - {3, 4, 5}
    assert np.allclose(colours[10][1], GHOST_COLOR)
    assert len(scene.instanced().opaque) == 3 and scene.instanced().transparent_groups.tolist() == [[0, 37]]
    scene.ghost_others(False)
    scene.clear_highlights()
    scene.clear_colors()
    scene.select([])
    assert all(np.allclose(c, GREY) and not glass for glass, c in drawn(scene).values())


def test_hide_isolate_classes_and_storeys_apply_to_copies() -> None:
    scene = Scene()
    scene.add_batch(batch(desks(20, storey=500) + desks(20, first_step=101, z=3.0, cls="IfcFurniture", storey=600),
                          [box_mesh()]))
    assert set(drawn(scene)) == set(range(1, 21)) | set(range(101, 121))
    scene.hide([1, 2])
    assert set(drawn(scene)) == set(range(3, 21)) | set(range(101, 121))
    scene.isolate([5, 105])
    assert set(drawn(scene)) == {5, 105}
    scene.show_all()
    scene.set_class_visible("IfcFurniture", False)
    assert set(drawn(scene)) == set(range(1, 21))
    scene.set_class_visible("IfcFurniture", True)
    scene.set_storey_visible(500, False)
    assert set(drawn(scene)) == set(range(101, 121))


def test_a_section_box_hides_the_copies_wholly_outside_it() -> None:
    scene = desk_scene(40)  # one row of 40 boxes along x, 0..79 m
    scene.set_section_box((-1, -1, -1), (10.5, 2, 2))  # boxes at 0, 2, 4, 6, 8 inside; 10 crossed
    assert set(drawn(scene)) == {1, 2, 3, 4, 5, 6}
    box = scene.bounds()
    assert box is not None and box.hi[0] == pytest.approx(10.5)
    hit = pick(scene, (30.5, 0.5, 10), (0, 0, -1))
    assert hit is None
    scene.clear_section_box()
    assert len(drawn(scene)) == 40


def test_while_the_camera_moves_small_copies_can_be_left_out() -> None:
    scene = Scene()
    scene.add_batch(batch(desks(20) + desks(20, first_step=101, z=5.0, geometry=1),
                          [box_mesh((0.1, 0.1, 0.1)), box_mesh((3, 3, 3))]))
    coarse = scene.coarse_instances(min_size=1.0)
    assert coarse.opaque_groups[:, 1].tolist() == [0, 20]
    assert set(drawn(scene, coarse)) == set(range(101, 121))


def test_compact_keeps_copies_drawn_and_more_can_come() -> None:
    scene = desk_scene(100)
    scene.compact()
    assert len(scene.instanced().opaque) == 100
    scene.add_batch(batch([{"step": 9_999, "at": (0.0, -5.0, 0.0)}]))
    assert 9_999 in drawn(scene) and scene.nbytes < 100 * 8 * 32


def test_a_transform_column_by_column_is_what_the_shader_reads() -> None:
    scene = Scene()
    scene.add_batch(batch(desks(10), [box_mesh()]))
    data = scene.instanced().opaque[3]
    matrix = data[:16].reshape(4, 4).T  # columns back to rows
    assert np.allclose(matrix, moved(6.0, 0.0, 0.0))


def test_the_section_box_comes_with_the_instances_to_cut_them_without_uploading_them_again() -> None:
    scene = desk_scene(40)
    before = scene.instanced()
    assert before.section is None
    scene.set_section_box((-1, -1, -1), (79.5, 2, 2))  # crosses the last box only: every box stays
    after = scene.instanced()
    assert after.section is not None and np.allclose(after.section.hi, (79.5, 2, 2))
    assert after.instances_revision == before.instances_revision and len(after.opaque) == 40


def test_a_ray_along_an_axis_tests_only_the_copies_under_it() -> None:
    scene = desk_scene()
    tested: list[int] = []
    triangles_of = scene.triangles_of

    def counted(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        tested.extend(rows.tolist())
        return triangles_of(rows)

    scene.triangles_of = counted  # type: ignore[method-assign]
    hit = pick(scene, (42.5, 4.5, 10.0), (0, 0, -1))
    assert hit is not None and hit.step_id == 102
    assert tested == [101], "a box beside the ray is not entered"
