"""The dashboard face: page routes over :mod:`retentionkit.pages` and sign-in, mounted by
:func:`retentionkit.server.create_app`. Shares :mod:`retentionkit.web` with the REST API and
never imports it."""
