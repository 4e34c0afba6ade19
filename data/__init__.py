"""The bundled dataset and scenario presets, installed as the package ``graphmodel.data``.

This folder holds data, not code: the ``__init__`` only makes it a package so that the
CSV files, ``reference/`` and ``scenarios/*.yaml`` travel with a normal ``pip install`` and
are found with :mod:`importlib.resources` (see :func:`graphmodel.settings.bundled_data_path`).
"""
