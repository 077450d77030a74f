"""Second-factor helpers for tests: give a user an authenticator app, pass the step."""

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


def give_totp(user, name="Test app"):
    """A confirmed authenticator app for ``user`` (the existing one if there is one)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name=name, confirmed=True)


def current_code(device, *, offset=0):
    """The code ``device``'s app shows now (``offset`` time steps later or earlier)."""
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset)
    return str(code).zfill(device.digits)


def verified_login(client, user, device=None):
    """Sign ``client`` in as ``user`` with a session past the second factor."""
    device = device or give_totp(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
