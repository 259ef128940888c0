"""What the web server's faces share (the REST API in :mod:`retentionkit.api`, the dashboard in
:mod:`retentionkit.dashboard`): settings, the cached workspace service, API keys,
authentication dependencies, static assets and error rendering. Neither face imports the
other; both import this package, and :mod:`retentionkit.server` composes them into one app."""
