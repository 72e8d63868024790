"""The embedded local backend: Delta Lake tables, a SQLite catalog and artefact files on disk.

Entry point: :func:`mlsys.store.local.project.connect` (what ``mlsys.login(backend="local")``
calls). On-disk layout under ``<home>/<project>/`` (see :class:`~.config.LocalConfig`)::

    catalog.sqlite                  groups, schemas, suites, reports, views, training datasets,
                                    models (metadata, metrics, sha256 per file)
    feature_store/<fg>_<v>/         one Delta table per feature-group version
    feature_store/<fg>_<v>.lock     the writers' inter-process lock of that table
    online/<fg>_<v>.sqlite          online store: latest row per primary key
    models/<name>/<version>/        registered model files
    datasets/                       the dataset API's root (``Resources/images/x.png`` ...)
"""
