"""The imperative shell: settings, the composition root, persistence, the web app and the CLI."""
