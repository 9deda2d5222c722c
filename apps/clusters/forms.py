"""Page forms: they parse types only; the services validate meaning (their errors land on the named field)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Team

ENDPOINT_HELP = _("unix:///path/docker.sock, tcp://host:2375, or tcp://host:2376 with TLS")


class SecretTextarea(forms.Textarea):
    """A textarea for secret values (TLS keys, secret data): a form shown again after a refusal never
    carries the value back into the page; the person pastes it again."""

    def format_value(self, value):
        return ""


PEM = forms.Textarea(attrs={"rows": 4, "class": "code", "style": "min-height:6rem"})
LABELS = forms.Textarea(attrs={"rows": 3, "class": "code", "style": "min-height:4rem", "placeholder": "key=value"})


class TLSFields(forms.Form):
    tls_ca = forms.CharField(label=_("TLS CA certificate (PEM)"), required=False, widget=PEM, strip=False)
    tls_cert = forms.CharField(label=_("TLS client certificate (PEM)"), required=False, widget=PEM, strip=False)
    tls_key = forms.CharField(
        label=_("TLS client key (PEM)"),
        required=False,
        strip=False,
        widget=SecretTextarea(attrs={"rows": 4, "class": "code", "style": "min-height:6rem", "autocomplete": "off"}),
        help_text=_("Encrypted at rest, never shown again."),
    )


class ClusterForm(TLSFields):
    name = forms.CharField(label=_("Name"), max_length=100)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none())
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    endpoint_url = forms.CharField(label=_("Endpoint"), max_length=300, help_text=ENDPOINT_HELP)
    field_order = ["name", "team", "description", "endpoint_url", "tls_ca", "tls_cert", "tls_key"]

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams if teams is not None else Team.objects.none()


class ClusterEditForm(ClusterForm):
    clear_tls = forms.BooleanField(label=_("Remove the TLS material"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tls_key"].help_text = _("Leave empty to keep the stored key.")


class JoinForm(TLSFields):
    endpoint_url = forms.CharField(label=_("Docker engine of the host"), max_length=300, help_text=ENDPOINT_HELP)
    role = forms.ChoiceField(label=_("Join as"), choices=[("worker", _("worker")), ("manager", _("manager"))])
    advertise_addr = forms.CharField(
        label=_("Advertise address"), required=False, help_text=_("Optional: ip, interface or ip:port")
    )
    listen_addr = forms.CharField(label=_("Listen address"), required=False, help_text=_("Default 0.0.0.0:2377"))
    field_order = ["endpoint_url", "role", "advertise_addr", "listen_addr", "tls_ca", "tls_cert", "tls_key"]


class EngineForm(TLSFields):
    endpoint_url = forms.CharField(label=_("Docker engine of the node"), max_length=300, help_text=ENDPOINT_HELP)
    field_order = ["endpoint_url", "tls_ca", "tls_cert", "tls_key"]


class NetworkForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=64)
    subnet = forms.CharField(label=_("Subnet"), required=False, help_text=_("e.g. 10.20.0.0/24"))
    gateway = forms.CharField(label=_("Gateway"), required=False)
    ip_range = forms.CharField(label=_("IP range"), required=False)
    internal = forms.BooleanField(label=_("Internal (no outside access)"), required=False)
    attachable = forms.BooleanField(label=_("Attachable (containers may join)"), required=False)
    encrypted = forms.BooleanField(label=_("Encrypted (IPsec between nodes)"), required=False)
    labels = forms.CharField(label=_("Labels"), required=False, widget=LABELS, help_text=_("key=value, one a line"))


class VolumeForm(forms.Form):
    node = forms.CharField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("Name"), max_length=200)
    driver = forms.CharField(label=_("Driver"), initial="local")
    labels = forms.CharField(label=_("Labels"), required=False, widget=LABELS, help_text=_("key=value, one a line"))
    driver_opts = forms.CharField(
        label=_("Driver options"), required=False, widget=LABELS, help_text=_("key=value, one a line")
    )


class ObjectForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=64)
    text = forms.CharField(
        label=_("Value"),
        required=False,
        strip=False,
        widget=SecretTextarea(attrs={"rows": 4, "class": "code", "style": "min-height:6rem", "autocomplete": "off"}),
    )
    file = forms.FileField(label=_("or upload a file"), required=False)
    labels = forms.CharField(label=_("Labels"), required=False, widget=LABELS, help_text=_("key=value, one a line"))


class RotateForm(forms.Form):
    text = forms.CharField(
        label=_("New value"),
        required=False,
        strip=False,
        widget=SecretTextarea(attrs={"rows": 3, "class": "code", "style": "min-height:4rem", "autocomplete": "off"}),
    )
    file = forms.FileField(label=_("or upload a file"), required=False)
