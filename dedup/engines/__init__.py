"""Engines that run the detection core: in memory (``local``), over a persistent index
(``index``) and on Apache Spark (``spark``)."""
