"""pytest runs the notebooks through nbval in fast mode unless STYLETRANSFER_FAST is set."""

import os

os.environ.setdefault("STYLETRANSFER_FAST", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
