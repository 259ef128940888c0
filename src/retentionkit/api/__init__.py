"""The REST API face: one router per resource (:mod:`retentionkit.api.routers`), mounted under
``/api`` by :func:`retentionkit.server.create_app`. Shares :mod:`retentionkit.web` with the
dashboard and never imports it."""
