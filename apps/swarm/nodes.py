"""Nodes of a swarm."""


class NodesMixin:
    def node_list(self) -> list:
        with self.translate("Listing nodes"):
            return self._get("/nodes")
