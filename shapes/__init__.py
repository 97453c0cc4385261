"""SHACL shapes for the nodes an MMODA site stores, and their validator.

- ``mmoda-shapes.ttl``: one node shape per node kind (targeting its ``mmoda:`` class)
  plus shapes for sub-resources (distributions, periods of time, contact points,
  parameter values);
- :mod:`mmoda.shapes.validate`: :class:`~mmoda.shapes.validate.NodeValidator` and
  :class:`~mmoda.shapes.validate.Violation` (imported on demand: it pulls in pySHACL);
- :mod:`mmoda.shapes.errors`: ``ShapesError`` and ``ShaclViolation``.
"""
