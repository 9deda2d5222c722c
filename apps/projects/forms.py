"""Forms of the project pages. They parse types; the services check the meaning (Compose, policy, team)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .services import RESOLVE_MODES
from .validation import MAX_FILE_BYTES


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def uploaded_files(uploads) -> dict[str, str]:
    """{file name: text} of uploaded files (each at most 1 MB, UTF-8)."""
    out: dict[str, str] = {}
    for upload in uploads or []:
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("file %(name)s is %(size)d bytes, over the limit of 1 MB"),
                params={"name": upload.name, "size": upload.size},
            )
        try:
            out[upload.name] = upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("file %(name)s is not UTF-8 text"), params={"name": upload.name})
    return out


class ComposeFields(forms.Form):
    compose = forms.CharField(
        label=_("Compose file"),
        strip=False,
        required=False,
        widget=forms.Textarea(attrs={"class": "code", "spellcheck": "false", "rows": 24}),
    )
    variables = forms.CharField(
        label=_("Variables"),
        required=False,
        strip=False,
        help_text=_("One NAME=value per line; they take the place of the shell's environment in ${NAME}."),
        widget=forms.Textarea(attrs={"class": "code short", "rows": 4, "spellcheck": "false"}),
    )
    files = MultipleFileField(
        label=_("Files"),
        required=False,
        help_text=_("env_file, secret and config files the Compose file names (by their file name)."),
    )
    message = forms.CharField(label=_("Message"), required=False, max_length=500)

    def clean_files(self):
        return uploaded_files(self.cleaned_data.get("files"))


class ProjectForm(ComposeFields):
    name = forms.CharField(label=_("Name"), max_length=200, help_text=_("The stack's name on the swarm."))
    team = forms.ModelChoiceField(label=_("Team"), queryset=None)
    cluster = forms.ModelChoiceField(label=_("Cluster"), queryset=None)
    field_order = ["name", "team", "cluster", "compose", "variables", "files", "message"]

    def __init__(self, *args, teams, clusters, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["cluster"].queryset = clusters


class BundleImportForm(forms.Form):
    """A Docker 1.12 bundle (.dab) as a new project: the file uploaded, or its JSON pasted (one of the two)."""

    name = forms.CharField(label=_("Name"), max_length=200, help_text=_("The stack's name on the swarm."))
    team = forms.ModelChoiceField(label=_("Team"), queryset=None)
    cluster = forms.ModelChoiceField(label=_("Cluster"), queryset=None)
    bundle_file = forms.FileField(label=_("Bundle file (.dab)"), required=False)
    bundle = forms.CharField(
        label=_("Or paste the bundle's JSON"),
        strip=False,
        required=False,
        widget=forms.Textarea(attrs={"class": "code", "spellcheck": "false", "rows": 16}),
    )
    message = forms.CharField(label=_("Message"), required=False, max_length=500)

    def __init__(self, *args, teams, clusters, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["cluster"].queryset = clusters

    def clean(self):
        data = super().clean()
        upload = data.get("bundle_file")
        pasted = data.get("bundle") or ""
        if self.errors.get("bundle_file"):
            return data
        if upload and pasted.strip():
            self.add_error("bundle_file", _("Upload a .dab file or paste its JSON, not both."))
        elif upload:
            try:
                data["bundle"] = uploaded_files([upload])[upload.name]
            except forms.ValidationError as exc:
                self.add_error("bundle_file", exc)
        elif not pasted.strip():
            self.add_error("bundle", _("Upload a .dab file or paste its JSON."))
        data["bundle_field"] = "bundle_file" if upload else "bundle"
        return data


class RevisionForm(ComposeFields):
    keep_files = forms.BooleanField(
        label=_("Keep the files of the latest revision"),
        required=False,
        initial=True,
        help_text=_("Uploaded files with the same name replace them."),
    )


class DeployForm(forms.Form):
    revision = forms.IntegerField(required=False, min_value=1)
    prune = forms.BooleanField(required=False, label=_("Remove services no longer in the file"))
    prune_resources = forms.BooleanField(required=False, label=_("Also remove unused networks, secrets and configs"))
    resolve_image = forms.ChoiceField(
        required=False, choices=[(m, m) for m in RESOLVE_MODES], initial="never", label=_("Resolve image digests")
    )
    detach = forms.BooleanField(required=False, label=_("Do not wait for the rollout"))


class RollbackForm(forms.Form):
    revision = forms.IntegerField(min_value=1)


class RemoveForm(forms.Form):
    volumes = forms.BooleanField(required=False, label=_("Also remove the stack's volumes (their data is lost)"))


class PolicyForm(forms.Form):
    allow_bind_mounts = forms.BooleanField(required=False, label=_("Allow bind mounts of host paths"))
    allow_capabilities = forms.BooleanField(required=False, label=_("Allow added Linux capabilities (cap_add)"))
    allow_host_network = forms.BooleanField(required=False, label=_("Allow host networking (host, macvlan, ipvlan)"))
    allow_privileged = forms.BooleanField(
        required=False,
        label=_("Allow privileged-like options (unconfined seccomp/AppArmor, host devices, plugins, host sysctls)"),
    )
