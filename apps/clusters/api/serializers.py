"""Shapes of the clusters API. Validation of meaning lives in services; these parse types and document."""

from django.urls import reverse
from rest_framework import serializers

from apps.accounts.models import Team

from ..models import Cluster, NodeEngine


class ClusterSerializer(serializers.ModelSerializer):
    team_name = serializers.CharField(source="team.name", read_only=True)
    tls = serializers.BooleanField(source="uses_tls", read_only=True)
    has_tls_key = serializers.SerializerMethodField()
    urls = serializers.SerializerMethodField()

    class Meta:
        model = Cluster
        fields = [
            "id",
            "name",
            "team",
            "team_name",
            "description",
            "endpoint_url",
            "tls",
            "tls_ca",
            "tls_cert",
            "has_tls_key",
            *Cluster.FACTS,
            "created",
            "urls",
        ]
        read_only_fields = fields

    def get_has_tls_key(self, obj) -> bool:
        return bool(obj.tls_key)

    def get_urls(self, obj) -> dict:
        names = {
            "self": "cluster-detail",
            "nodes": "cluster-nodes",
            "networks": "cluster-networks",
            "volumes": "cluster-volumes",
            "secrets": "cluster-secrets",
            "configs": "cluster-configs",
            "join": "cluster-join",
            "engines": "cluster-engines",
            "refresh": "cluster-refresh",
        }
        return {key: reverse(name, args=[obj.pk]) for key, name in names.items()}


class ClusterRegisterSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
    description = serializers.CharField(required=False, allow_blank=True, default="")
    endpoint_url = serializers.CharField(
        max_length=300, help_text="unix:///path/docker.sock, tcp://host:2375, tcp://host:2376"
    )
    tls_ca = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    tls_cert = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    tls_key = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        write_only=True,
        trim_whitespace=False,
        help_text="Write-only; encrypted at rest and never returned.",
    )


class ClusterUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    endpoint_url = serializers.CharField(max_length=300, required=False)
    tls_ca = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    tls_cert = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    tls_key = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        trim_whitespace=False,
        help_text="Write-only; left out or empty keeps the stored key.",
    )
    clear_tls = serializers.BooleanField(required=False, default=False)


class NodeSerializer(serializers.Serializer):
    """A node row (documentation of the shape; rows are built by apps.swarm.nodes.node_summary)."""

    id = serializers.CharField()
    cluster = serializers.IntegerField()
    version = serializers.IntegerField(help_text="Send it back with a PATCH: a concurrent change gives 409.")
    hostname = serializers.CharField()
    role = serializers.CharField()
    availability = serializers.CharField()
    state = serializers.CharField()
    address = serializers.CharField()
    engine_version = serializers.CharField()
    labels = serializers.DictField(child=serializers.CharField())
    cpus = serializers.FloatField()
    memory_bytes = serializers.IntegerField()
    tasks = serializers.IntegerField(help_text="Tasks meant to run on the node.")
    running = serializers.IntegerField(help_text="Tasks running on the node.")
    leader = serializers.BooleanField()
    url = serializers.CharField()


class NodePatchSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, help_text="The version you read; a stale one gives 409.")
    availability = serializers.ChoiceField(choices=["active", "pause", "drain"], required=False)
    role = serializers.ChoiceField(choices=["worker", "manager"], required=False)
    labels = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    add_labels = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    remove_labels = serializers.ListField(child=serializers.CharField(), required=False)


class JoinSerializer(serializers.Serializer):
    endpoint_url = serializers.CharField(max_length=300, help_text="The Docker engine of the host to add.")
    role = serializers.ChoiceField(choices=["worker", "manager"], default="worker")
    tls_ca = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    tls_cert = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    tls_key = serializers.CharField(
        required=False, allow_blank=True, default="", write_only=True, trim_whitespace=False
    )
    advertise_addr = serializers.CharField(required=False, allow_blank=True, default="")
    listen_addr = serializers.CharField(required=False, allow_blank=True, default="")


class RotateTokenSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=["worker", "manager"])


class EngineSerializer(serializers.ModelSerializer):
    tls = serializers.BooleanField(source="uses_tls", read_only=True)

    class Meta:
        model = NodeEngine
        fields = ["id", "cluster", "node_id", "hostname", "endpoint_url", "tls", "tls_ca", "tls_cert", "created"]
        read_only_fields = fields


class EngineRegisterSerializer(serializers.Serializer):
    endpoint_url = serializers.CharField(max_length=300)
    tls_ca = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    tls_cert = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    tls_key = serializers.CharField(
        required=False, allow_blank=True, default="", write_only=True, trim_whitespace=False
    )


class NetworkCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    subnet = serializers.CharField(required=False, allow_blank=True, default="")
    gateway = serializers.CharField(required=False, allow_blank=True, default="")
    ip_range = serializers.CharField(required=False, allow_blank=True, default="")
    internal = serializers.BooleanField(required=False, default=False)
    attachable = serializers.BooleanField(required=False, default=False)
    encrypted = serializers.BooleanField(required=False, default=False)
    labels = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False, default=dict)


class VolumeCreateSerializer(serializers.Serializer):
    node = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Node id; default: the manager."
    )
    name = serializers.CharField(max_length=200)
    driver = serializers.CharField(required=False, default="local")
    labels = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False, default=dict)
    driver_opts = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False, default=dict)


class ObjectCreateSerializer(serializers.Serializer):
    """A secret or config: `data` (text), `data_base64`, or a multipart `file`; the value is write-only."""

    name = serializers.CharField(max_length=64)
    data = serializers.CharField(required=False, write_only=True, trim_whitespace=False, allow_blank=True)
    data_base64 = serializers.CharField(required=False, write_only=True)
    file = serializers.FileField(required=False, write_only=True)
    labels = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False, default=dict)


class ObjectRotateSerializer(serializers.Serializer):
    data = serializers.CharField(required=False, write_only=True, trim_whitespace=False, allow_blank=True)
    data_base64 = serializers.CharField(required=False, write_only=True)
    file = serializers.FileField(required=False, write_only=True)


# ------------------------------------------------------------------------------------------------- answers (docs)


class TaskSerializer(serializers.Serializer):
    id = serializers.CharField()
    service_id = serializers.CharField()
    service = serializers.CharField()
    slot = serializers.IntegerField(allow_null=True)
    node_id = serializers.CharField()
    image = serializers.CharField()
    desired_state = serializers.CharField()
    state = serializers.CharField()
    message = serializers.CharField()
    error = serializers.CharField()
    timestamp = serializers.CharField()
    container_id = serializers.CharField()


class NodeDetailSerializer(NodeSerializer):
    tasks = TaskSerializer(many=True)
    task_total = serializers.IntegerField()


class JoinInfoSerializer(serializers.Serializer):
    worker = serializers.CharField(help_text="The worker join token (cluster admins only).")
    manager = serializers.CharField(help_text="The manager join token (cluster admins only).")
    managers = serializers.ListField(child=serializers.CharField())
    commands = serializers.DictField(child=serializers.CharField())


class RotatedSerializer(serializers.Serializer):
    role = serializers.CharField()
    rotated = serializers.BooleanField()


class SubnetSerializer(serializers.Serializer):
    subnet = serializers.CharField()
    gateway = serializers.CharField()
    ip_range = serializers.CharField()


class NetworkSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    driver = serializers.CharField()
    scope = serializers.CharField()
    internal = serializers.BooleanField()
    attachable = serializers.BooleanField()
    ingress = serializers.BooleanField()
    encrypted = serializers.BooleanField()
    subnets = SubnetSerializer(many=True)
    labels = serializers.DictField(child=serializers.CharField())
    created = serializers.CharField()
    predefined = serializers.BooleanField()
    services = serializers.ListField(child=serializers.CharField(), help_text="Names of the services using it.")


class VolumeSerializer(serializers.Serializer):
    node = serializers.CharField()
    name = serializers.CharField()
    driver = serializers.CharField()
    scope = serializers.CharField()
    mountpoint = serializers.CharField()
    labels = serializers.DictField(child=serializers.CharField())
    options = serializers.DictField(child=serializers.CharField())
    created = serializers.CharField()


class SwarmObjectSerializer(serializers.Serializer):
    """A secret or a config; the value is never returned."""

    id = serializers.CharField()
    name = serializers.CharField()
    version = serializers.IntegerField()
    labels = serializers.DictField(child=serializers.CharField())
    created = serializers.CharField()
    updated = serializers.CharField()
    services = serializers.ListField(child=serializers.CharField(), help_text="Names of the services using it.")
