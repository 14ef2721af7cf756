"""Tokens follow the account: a new password or a deactivation ends every token of the user.

Signals rather than calls from accounts' services: accounts is a lower layer than api, and a password
also changes through Django's admin and `changepassword`."""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from .services import revoke_all

User = get_user_model()


@receiver(pre_save, sender=User, dispatch_uid="api_tokens_note_account_change")
def note_account_change(sender, instance, raw=False, **kwargs):
    instance._token_revocation = None
    if raw or instance.pk is None:  # a restore writes rows as they were; a new user has no tokens
        return
    before = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    if before["is_active"] and not instance.is_active:
        instance._token_revocation = "账号停用"
    elif before["password"] != instance.password:
        instance._token_revocation = "密码已更改"


@receiver(post_save, sender=User, dispatch_uid="api_tokens_revoke_on_account_change")
def revoke_on_account_change(sender, instance, raw=False, **kwargs):
    reason = getattr(instance, "_token_revocation", None)
    if reason and not raw:
        revoke_all(instance, reason)
