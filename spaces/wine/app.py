"""Hugging Face Space: Wine Quality predictor: a thin wrapper over mlsys.apps."""

import mlsys
from mlsys.apps.common import launch_options
from mlsys.systems.wine.app import build_app

if __name__ == "__main__":
    # binds 127.0.0.1 unless --host or GRADIO_SERVER_NAME says otherwise (Spaces set 0.0.0.0)
    build_app(mlsys.login()).launch(**launch_options())
