"""Source adapters: build interchange-format networks from published data.

Each adapter reads a source as published and returns an :class:`ingest.fragment.Ingested`
(a validated :class:`graphmodel.Network` plus notes):

* :mod:`ingest.usgs`: USGS Mineral Commodity Summaries (country-level mine production);
* :mod:`ingest.trade`: CEPII BACI or UN Comtrade trade flows;
* :mod:`ingest.amrt`: RMI Additional Minerals Reporting Templates from suppliers;
* :mod:`ingest.merge`: merge several networks without double counting.

The adapters sit above :mod:`graphmodel`: they import it, never the other way round. The
interchange format itself (reading, writing and validating CSV folders and workbooks) is
:mod:`graphmodel.io`.
"""
