"""Ray Serve deployments wrapping the pipeline's models, composed by `build_app()` (services/serving/app.py).

Nothing here loads a model at import; ray is imported by the modules that need it, so importing
`services.serving` alone stays light.
"""
