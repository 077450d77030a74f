from .agency import Agency
from .token import ApiToken
from .user import User

__all__ = ["Agency", "ApiToken", "User"]
