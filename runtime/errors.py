"""Errors raised by the runtime's readers and interpreter."""

from tinyflash.errors import UserError


class ModelFormatError(UserError):
    """The model file is malformed: the message names the tensor/operator and what is wrong."""


class UnsupportedOperatorError(UserError):
    """The model uses an operator (or option) the interpreter does not implement."""


class InputError(UserError, ValueError):
    """model(x) got a batch of the wrong shape or dtype, or NaN/Inf in a float input."""
