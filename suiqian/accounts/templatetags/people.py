from django import template

register = template.Library()


@register.filter
def person(user) -> str:
    """A user as staff see them: full name, else username; '系统' for actions taken by the platform itself."""
    if user is None:
        return "系统"
    return user.get_full_name() or user.username
