"""The clusters API (thin: parse, call one selector or service, shape the answer).

Nodes are addressed two ways, both live (no mirror table that could go stale):
`/api/v1/clusters/{cluster_id}/nodes/{node_id}/` and `/api/v1/nodes/{cluster_id}:{node_id}/`.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import ApiToken
from apps.accounts.permissions import Action, require_any
from apps.core.errors import Forbidden, ValidationFailed
from apps.operations.responses import OperationAcceptedSerializer, accepted

from .. import selectors, services
from . import serializers as s


def _cluster(request, pk, action: Action = Action.VIEW):
    return selectors.cluster_get(request.user, pk, action)


def _valid(serializer_class, request, **kwargs) -> dict:
    """Parsed input, or a 400 in Davit's shape: {"detail": sentence naming the field, "code", "errors": {...}}."""
    form = serializer_class(data=request.data, **kwargs)
    if not form.is_valid():
        errors = {
            key: [str(m) for m in (value if isinstance(value, list) else [value])] for key, value in form.errors.items()
        }
        field, messages = next(iter(errors.items()))
        raise ValidationFailed(f"{field}: {messages[0]}", field=field, errors=errors)
    return form.validated_data


def _paginate(view, rows: list):
    paginator = LimitOffsetPagination()
    page = paginator.paginate_queryset(rows, view.request, view=view)
    return paginator.get_paginated_response(page)


def _node_url(cluster_pk: int, node_id: str) -> str:
    return reverse("node-detail", kwargs={"cluster_pk": cluster_pk, "node_id": node_id})


def _node_row(cluster, row: dict) -> dict:
    return {**row, "cluster": cluster.pk, "url": _node_url(cluster.pk, row["id"])}


def _payload(data: dict, kind: str) -> bytes:
    """The value of a secret/config from exactly one of data, data_base64, file."""
    given = [key for key in ("data", "data_base64", "file") if data.get(key) is not None]
    if len(given) != 1:
        raise ValidationFailed(f"give the {kind}'s value in exactly one of data, data_base64 or file", field="data")
    if given[0] == "data":
        return data["data"].encode()
    if given[0] == "data_base64":
        return services.decode_base64(data["data_base64"])
    upload = data["file"]
    if upload.size > services.MAX_OBJECT_BYTES:
        raise ValidationFailed(
            f"the file is {upload.size} bytes; Docker keeps at most {services.MAX_OBJECT_BYTES} bytes", field="file"
        )
    return upload.read()


# ------------------------------------------------------------------------------------------------- clusters


class ClusterViewSet(viewsets.GenericViewSet):
    """Clusters of the caller's teams: register (checked against the engine), edit, remove, refresh."""

    serializer_class = s.ClusterSerializer

    def get_queryset(self):
        return selectors.clusters_for(self.request.user)

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.ClusterSerializer(page, many=True).data)

    @extend_schema(request=s.ClusterRegisterSerializer, responses={201: s.ClusterSerializer})
    def create(self, request):
        require_any(request.user, Action.ADMIN, "register a cluster")
        data = _valid(s.ClusterRegisterSerializer, request)
        cluster = services.cluster_register(request.user, **data)
        return Response(s.ClusterSerializer(cluster).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, pk=None):
        return Response(s.ClusterSerializer(_cluster(request, pk)).data)

    @extend_schema(request=s.ClusterUpdateSerializer, responses={200: s.ClusterSerializer})
    def partial_update(self, request, pk=None):
        cluster = _cluster(request, pk, Action.ADMIN)
        data = _valid(s.ClusterUpdateSerializer, request, partial=True)
        cluster = services.cluster_update(request.user, cluster, **data)
        return Response(s.ClusterSerializer(cluster).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        services.cluster_remove(request.user, _cluster(request, pk, Action.ADMIN))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: s.ClusterSerializer})
    @action(detail=True, methods=["post"])
    def refresh(self, request, pk=None):
        """Check the endpoint now and store the facts (beat does it every minute)."""
        cluster = services.cluster_refresh(_cluster(request, pk, Action.OPERATE))
        return Response(s.ClusterSerializer(cluster).data)


# ------------------------------------------------------------------------------------------------- nodes


class NodeListView(APIView):
    """Nodes of a cluster with their task counts: two Docker calls, whatever the number of nodes."""

    @extend_schema(responses={200: s.NodeSerializer(many=True)})
    def get(self, request, pk):
        cluster = _cluster(request, pk)
        return _paginate(self, [_node_row(cluster, row) for row in selectors.node_rows(cluster)])


class NodeView(APIView):
    """One node: GET (with its tasks), PATCH availability / labels / role with the version read, DELETE."""

    def _ids(self, pk=None, cluster_pk=None):
        return pk if pk is not None else cluster_pk

    @extend_schema(responses={200: s.NodeDetailSerializer})
    def get(self, request, node_id, pk=None, cluster_pk=None):
        cluster = _cluster(request, self._ids(pk, cluster_pk))
        detail = selectors.node_detail(cluster, node_id)
        return Response(
            {**_node_row(cluster, detail["node"]), "tasks": detail["tasks"], "task_total": detail["task_total"]}
        )

    @extend_schema(request=s.NodePatchSerializer, responses={200: s.NodeSerializer})
    def patch(self, request, node_id, pk=None, cluster_pk=None):
        cluster = _cluster(request, self._ids(pk, cluster_pk))
        data = _valid(s.NodePatchSerializer, request)
        row = services.node_update(request.user, cluster, node_id, **data)
        return Response(_node_row(cluster, row))

    @extend_schema(
        request=None,
        responses={204: None},
        parameters=[OpenApiParameter("force", bool, description="Admins: remove a node that is up")],
    )
    def delete(self, request, node_id, pk=None, cluster_pk=None):
        cluster = _cluster(request, self._ids(pk, cluster_pk))
        body = request.data if isinstance(request.data, dict) else {}
        force = str(request.query_params.get("force", body.get("force", ""))).lower() in ("1", "true", "yes")
        services.node_remove(request.user, cluster, node_id, force=force)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    get=extend_schema(operation_id="v1_nodes_retrieve"),
    patch=extend_schema(operation_id="v1_nodes_partial_update"),
    delete=extend_schema(operation_id="v1_nodes_destroy"),
)
class NodeRefView(NodeView):
    """The same node addressed as /api/v1/nodes/{cluster_id}:{node_id}/ (the node id alone is not unique across
    clusters, so the cluster is part of the address)."""


# ------------------------------------------------------------------------------------------------- join


class JoinView(APIView):
    """GET: join tokens and manager addresses (cluster admins only). POST: add a host (202 with the operation)."""

    @extend_schema(responses={200: s.JoinInfoSerializer})
    def get(self, request, pk):
        cluster = _cluster(request, pk, Action.ADMIN)
        if isinstance(request.auth, ApiToken) and request.auth.read_only:
            # a join token is write power over the swarm: a read-only token never gets it
            raise Forbidden(_("A read-only token cannot read join tokens; they give control of the swarm."))
        return Response(selectors.join_info(request.user, cluster))

    @extend_schema(request=s.JoinSerializer, responses={202: OperationAcceptedSerializer})
    def post(self, request, pk):
        cluster = _cluster(request, pk, Action.ADMIN)
        data = _valid(s.JoinSerializer, request)
        operation = services.node_add(request.user, cluster, **data)
        return accepted(operation, request)


class JoinRotateView(APIView):
    """POST {role}: replace the worker or manager join token (the old one stops working)."""

    @extend_schema(request=s.RotateTokenSerializer, responses={200: s.RotatedSerializer})
    def post(self, request, pk):
        cluster = _cluster(request, pk, Action.ADMIN)
        data = _valid(s.RotateTokenSerializer, request)
        services.join_token_rotate(request.user, cluster, data["role"])
        return Response({"role": data["role"], "rotated": True})


# ------------------------------------------------------------------------------------------------- engines


class EngineListView(APIView):
    """Docker engines of the cluster's nodes known to Davit (for per-node work: volumes). Register: admins."""

    @extend_schema(responses={200: s.EngineSerializer(many=True)})
    def get(self, request, pk):
        cluster = _cluster(request, pk)
        return _paginate(self, s.EngineSerializer(selectors.engines_for(cluster), many=True).data)

    @extend_schema(request=s.EngineRegisterSerializer, responses={201: s.EngineSerializer})
    def post(self, request, pk):
        cluster = _cluster(request, pk, Action.ADMIN)
        data = _valid(s.EngineRegisterSerializer, request)
        engine = services.engine_register(request.user, cluster, **data)
        return Response(s.EngineSerializer(engine).data, status=status.HTTP_201_CREATED)


class EngineView(APIView):
    @extend_schema(responses={200: s.EngineSerializer})
    def get(self, request, pk, engine_pk):
        cluster = _cluster(request, pk)
        return Response(s.EngineSerializer(selectors.engine_get(request.user, cluster, engine_pk)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk, engine_pk):
        cluster = _cluster(request, pk, Action.ADMIN)
        services.engine_remove(request.user, selectors.engine_get(request.user, cluster, engine_pk, Action.ADMIN))
        return Response(status=status.HTTP_204_NO_CONTENT)


# ------------------------------------------------------------------------------------------------- networks


class NetworkListView(APIView):
    """Networks with the services using each (two Docker calls); POST creates an overlay network."""

    @extend_schema(responses={200: s.NetworkSerializer(many=True)})
    def get(self, request, pk):
        return _paginate(self, selectors.network_rows(_cluster(request, pk)))

    @extend_schema(request=s.NetworkCreateSerializer, responses={201: s.NetworkSerializer})
    def post(self, request, pk):
        cluster = _cluster(request, pk, Action.OPERATE)
        data = _valid(s.NetworkCreateSerializer, request)
        return Response(services.network_create(request.user, cluster, **data), status=201)


class NetworkView(APIView):
    @extend_schema(responses={200: s.NetworkSerializer})
    def get(self, request, pk, network_id):
        return Response(selectors.network_detail(_cluster(request, pk), network_id))

    @extend_schema(responses={204: None})
    def delete(self, request, pk, network_id):
        services.network_remove(request.user, _cluster(request, pk, Action.OPERATE), network_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ------------------------------------------------------------------------------------------------- volumes


class VolumeListView(APIView):
    """Volumes of one node (?node=<node id>; default: the manager the cluster endpoint reaches): one call."""

    @extend_schema(
        parameters=[OpenApiParameter("node", str, description="Node id (default: the manager)")],
        responses={200: s.VolumeSerializer(many=True)},
    )
    def get(self, request, pk):
        cluster = _cluster(request, pk)
        node_id, rows = selectors.volume_rows(cluster, request.query_params.get("node"))
        return _paginate(self, [{**row, "node": node_id} for row in rows])

    @extend_schema(request=s.VolumeCreateSerializer, responses={201: s.VolumeSerializer})
    def post(self, request, pk):
        cluster = _cluster(request, pk, Action.OPERATE)
        data = _valid(s.VolumeCreateSerializer, request)
        return Response(services.volume_create(request.user, cluster, **data), status=201)


class VolumeView(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request, pk, node_id, name):
        cluster = _cluster(request, pk, Action.OPERATE)
        services.volume_remove(request.user, cluster, node=node_id, name=name)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ------------------------------------------------------------------------------------------------- secrets, configs


class ObjectListView(APIView):
    """Secrets or configs with the services using each (two Docker calls). POST: JSON {name, data | data_base64,
    labels} or multipart {name, file}. A secret's value is never returned."""

    kind = "secret"
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(responses={200: s.SwarmObjectSerializer(many=True)})
    def get(self, request, pk):
        return _paginate(self, selectors.object_rows(_cluster(request, pk), self.kind))

    @extend_schema(request=s.ObjectCreateSerializer, responses={201: s.SwarmObjectSerializer})
    def post(self, request, pk):
        cluster = _cluster(request, pk, Action.OPERATE)
        form = _valid(s.ObjectCreateSerializer, request)
        row = services.object_create(
            request.user,
            cluster,
            self.kind,
            name=form["name"],
            data=_payload(form, self.kind),
            labels=form.get("labels") or {},
        )
        return Response(row, status=status.HTTP_201_CREATED)


class ObjectView(APIView):
    kind = "secret"

    @extend_schema(responses={200: s.SwarmObjectSerializer})
    def get(self, request, pk, obj_id):
        return Response(selectors.object_detail(_cluster(request, pk), self.kind, obj_id))

    @extend_schema(responses={204: None})
    def delete(self, request, pk, obj_id):
        services.object_remove(request.user, _cluster(request, pk, Action.OPERATE), self.kind, obj_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ObjectRotateView(APIView):
    """POST the new value: an operation creates `<name>.vN`, moves every service to it, removes the old one."""

    kind = "secret"
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(request=s.ObjectRotateSerializer, responses={202: OperationAcceptedSerializer})
    def post(self, request, pk, obj_id):
        cluster = _cluster(request, pk, Action.OPERATE)
        data = _payload(_valid(s.ObjectRotateSerializer, request), self.kind)
        operation = services.object_rotate(request.user, cluster, self.kind, obj_id, data=data)
        return accepted(operation, request)
