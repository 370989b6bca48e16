"""The 3D view: a scene of merged arrays (numpy only), ray picking and a camera; the GL widget draws them."""

from ifcscript_desktop.ui.view3d.camera import Camera
from ifcscript_desktop.ui.view3d.legend import Legend, LegendEntry
from ifcscript_desktop.ui.view3d.picking import Hit, Ray, distance, pick, project, ray_through
from ifcscript_desktop.ui.view3d.arrays import Box, GeometryBatch, MeshChunk
from ifcscript_desktop.ui.view3d.scene import Scene

__all__ = ["Box", "Camera", "GeometryBatch", "Hit", "Legend", "LegendEntry", "MeshChunk", "Ray", "Scene",
           "distance", "pick", "project", "ray_through"]
