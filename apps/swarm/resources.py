"""Networks, volumes, secrets and configs."""


class ResourcesMixin:
    def network_list(self, *, labels: dict | None = None) -> list:
        import json

        filters = {"label": [f"{k}={v}" for k, v in (labels or {}).items()]} if labels else {}
        with self.translate("Listing networks"):
            return self._get("/networks", filters=json.dumps(filters))
