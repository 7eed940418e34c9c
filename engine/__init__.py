"""perfrules: inventory-performance rules engine.

Data flows one way: exports -> ``perfrules import`` -> fact store (``storage``) -> KPI library
(``perfrules.engine.kpi``) -> facts for the rule runtime; ``rules/*.yaml`` -> ``perfrules.engine.rulebook``
-> ``perfrules.engine.runtime``
-> findings -> consequences -> notices / payroll export.
"""

__version__ = "0.1.0"
