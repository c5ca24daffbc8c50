"""The one exception users see: a one-line message that says what was wrong and what to do."""


class DepthscopeError(ValueError):
    """Bad input to depthscope; the message is one line and names the fix.

    The CLI prints it as ``error: <message>`` and exits with status 2 (no traceback).

    Example:
        >>> import depthscope
        >>> try:
        ...     depthscope.activation("tnah")
        ... except depthscope.DepthscopeError as err:
        ...     print(err)
        unknown activation 'tnah'; did you mean 'tanh'? run `depthscope activations` to list all
    """
