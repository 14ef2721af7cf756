"""Bearer tokens: who the caller is, and whether this token may be used for this operation."""

from ninja.errors import HttpError
from ninja.security import HttpBearer

from .models import Group
from .services import token_for_key

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class TokenAuth(HttpBearer):
    """`group`: the part of the API the operation belongs to. `writes`: whether it changes data
    (by default, any method but GET); a read-only token is refused those."""

    def __init__(self, group: str, *, writes: bool | None = None):
        super().__init__()
        self.group = Group(group)
        self.writes = writes

    def authenticate(self, request, token):
        found = token_for_key(token)
        if found is None:
            return None
        writes = self.writes if self.writes is not None else request.method not in SAFE_METHODS
        if writes and found.access != "write":
            raise HttpError(403, "此令牌为只读令牌，不能修改数据")
        if not found.allows(self.group, writes):
            raise HttpError(403, f"此令牌不能用于“{self.group.label}”")
        request.user = found.user
        request.api_token = found
        return found.user
