"""The hook through which field permissions run inside a plan, object by object.

Strawberry runs a field's permission classes through its resolver chain, which costs a
resolve info and several calls per object. A permission class that also answers
``allows(source, context)`` (and whose ``has_permission`` returns exactly that) is checked by
the plan directly; any other permission runs through Strawberry's chain, unchanged.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from strawberry.exceptions import PermissionReturnedNonBooleanError
from strawberry.permission import BasePermission, PermissionExtension


@runtime_checkable
class ContextPermission(Protocol):
    """A permission decided from the object and the request context alone."""

    def allows(self, source: Any, context: Any) -> bool: ...


def context_permissions(extension: object) -> PermissionExtension | None:
    """``extension`` if it is a permission check a plan can make without a resolve info."""
    if not isinstance(extension, PermissionExtension) or not extension.supports_sync:
        return None
    if all(isinstance(p, ContextPermission) for p in extension.permissions):
        return extension
    return None


def denied(extension: PermissionExtension, source: Any, context: Any) -> tuple[bool, Any]:
    """Whether a permission refuses ``source``, and then the field's value (or raise), as
    PermissionExtension.resolve decides it."""
    permission: BasePermission
    for permission in extension.permissions:
        allowed = permission.allows(source, context)  # type: ignore[attr-defined]
        if not isinstance(allowed, bool):
            raise PermissionReturnedNonBooleanError(permission, allowed)
        if not allowed:
            if extension.fail_silently:
                return True, [] if extension.return_empty_list else None
            permission.on_unauthorized()  # raises the permission's error, as Strawberry's does
            return True, None
    return False, None
