from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "apps.projects"
    label = "projects"
    verbose_name = _("Projects")

    def ready(self) -> None:
        from apps.operations.checks import register
        from apps.operations.signals import operation_finished

        from .services import on_operation_finished

        operation_finished.connect(on_operation_finished, dispatch_uid="projects.on_operation_finished")
        register("apply", "apps.projects.policy.operation_check")  # the team policy, again on the final specs
