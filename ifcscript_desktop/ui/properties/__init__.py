"""The properties pane: one element's attributes, type, container, materials, psets, quantities."""

from ifcscript_desktop.ui.properties.pane import PropertiesPane

__all__ = ["PropertiesPane"]
