"""tinyflash: Keras MLP or CNN -> TFLite / ONNX / C99, with parity proven at every step.

The package is split into stages that data flows through in one direction:

    tinyflash.train       MNIST loading, Keras training          (TensorFlow)
    tinyflash.export      .tflite / .onnx artifacts + manifest    (TensorFlow, tf2onnx)
    tinyflash.runtime     pure-numpy interpreter of those files   (numpy only)
    tinyflash.firmware_c  C99 header generator                    (numpy only)

Importing this package imports none of them.
"""

__version__ = "0.1.0"

from tinyflash.errors import TinyflashError, UserError

__all__ = ["TinyflashError", "UserError", "__version__"]
