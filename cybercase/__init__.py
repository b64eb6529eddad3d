"""cybercase: capture, request and preserve online evidence of wildlife trafficking.

The package is a library first; the ``cybercase`` command is a thin layer over it.
Heavy modules are imported by the functions that need them, so that importing this
package (and running ``cybercase --help``) stays fast.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
