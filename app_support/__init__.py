"""Support code for the Streamlit app: dataset state, cached analytics, figures, widgets.

Pages in ``app_pages/`` stay thin: they read the current network from
:func:`app_support.data.current_network`, ask the cached wrappers in
:mod:`app_support.analytics` for tables, and draw figures from :mod:`app_support.figures`.
"""
