"""``python -m depthscope`` runs the command line."""

from depthscope.cli import main

main()
