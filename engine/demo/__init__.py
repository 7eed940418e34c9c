"""The demo company: a seeded, deterministic home-goods e-commerce business written as export files.

``generate`` writes one CSV per import kind (the real exports -> import path); ``perfrules.engine.demo.run`` builds
the demo database and runs the main job on it.
"""

from perfrules.engine.demo.generator import SIZES, DemoSize, GenerationReport, custom_size, generate

__all__ = ["SIZES", "DemoSize", "GenerationReport", "custom_size", "generate"]
