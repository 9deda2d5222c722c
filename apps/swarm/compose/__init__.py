"""Compose files read exactly as `docker stack deploy` reads them, with no Docker call (pure, no Django)."""

from .errors import ComposeError
from .stack import StackPlan, load_stack

__all__ = ["ComposeError", "StackPlan", "load_stack"]
