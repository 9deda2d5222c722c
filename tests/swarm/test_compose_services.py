"""Each Compose service key family turned into the ServiceSpec the CLI would send (mapping table of the reference)."""

import pytest

from apps.swarm.compose import ComposeError, load_stack

NS = "st"


def spec_of(service_yaml: str, top: str = "", **kwargs) -> dict:
    text = 'version: "3.13"\nservices:\n  web:\n    image: lab/busybox:1\n' + service_yaml + top
    return load_stack(text, namespace=NS, **kwargs).services["web"]


def container_of(service_yaml: str, top: str = "", **kwargs) -> dict:
    return spec_of(service_yaml, top, **kwargs)["TaskTemplate"]["ContainerSpec"]


def error_of(service_yaml: str, top: str = "", **kwargs) -> ComposeError:
    with pytest.raises(ComposeError) as caught:
        spec_of(service_yaml, top, **kwargs)
    return caught.value


def test_minimal_service_has_the_clis_fixed_shape():
    spec = spec_of("")
    assert spec == {
        "Name": "st_web",
        "Labels": {"com.docker.stack.namespace": "st", "com.docker.stack.image": "lab/busybox:1"},
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": "lab/busybox:1",
                "Labels": {"com.docker.stack.namespace": "st"},
                "Privileges": {},
            },
            "Resources": {},
            "Placement": {},
            "Networks": [{"Target": "st_default", "Aliases": ["web"]}],
            "ForceUpdate": 0,
        },
        "Mode": {"Replicated": {}},
        "EndpointSpec": {},
    }


def test_image_gets_a_tag_but_the_label_keeps_what_was_written():
    text = "services:\n  web:\n    image: docker.io/library/redis\n"
    spec = load_stack(text, namespace=NS).services["web"]
    assert spec["TaskTemplate"]["ContainerSpec"]["Image"] == "redis:latest"
    assert spec["Labels"]["com.docker.stack.image"] == "docker.io/library/redis"


def test_command_and_entrypoint_strings_are_split_like_a_shell():
    container = container_of(
        '    entrypoint: /bin/sh -c\n    command: "echo \'a b\' \\"c d\\" e\\\\ f # not a comment"\n'
    )
    assert container["Command"] == ["/bin/sh", "-c"]
    # as with google/shlex, "#" at the start of a word begins a comment
    assert container["Args"] == ["echo", "a b", "c d", "e f"]
    container = container_of("    command: [sleep, '3600']\n")
    assert container["Args"] == ["sleep", "3600"]
    assert "Command" not in container


def test_unterminated_quote_in_command():
    assert "EOF found when expecting closing quote" in error_of("    command: echo 'oops\n").message


def test_environment_env_file_and_variables():
    files = {
        "web.env": "# comment\nFROM_FILE=1\n  SPACED= keep  spaces \nOVERRIDDEN=file\n"
        'BARE_SET\nBARE_UNSET\nQUOTED="q"\n'
    }
    container = container_of(
        "    env_file: ./web.env\n    environment:\n      OVERRIDDEN: service\n      EMPTY: ''\n      NO_VALUE:\n"
        "      FROM_VARS:\n      LITERAL: $$x\n",
        files=files,
        variables={"BARE_SET": "b", "FROM_VARS": "v", "EMPTY": "e"},
    )
    assert container["Env"] == [
        "BARE_SET=b",
        "EMPTY=e",
        "FROM_FILE=1",
        "FROM_VARS=v",
        "LITERAL=$x",
        "NO_VALUE",
        "OVERRIDDEN=service",
        'QUOTED="q"',
        "SPACED= keep  spaces ",
    ]


def test_environment_list_form():
    container = container_of("    environment:\n      - A=1\n      - B=x=y\n      - C\n      - D=\n")
    assert container["Env"] == ["A=1", "B=x=y", "C", "D="]


def test_env_file_errors():
    assert "was not uploaded" in error_of("    env_file: missing.env\n").message
    error = error_of("    env_file: [a.env]\n", files={"a.env": "BAD KEY=1\n"})
    assert error.field == "services.web.env_file[0]"
    assert "contains whitespaces" in error.message


def test_labels_and_deploy_labels():
    spec = spec_of(
        "    labels:\n      com.example.n: 42\n      empty:\n    deploy:\n      labels: [traefik.enable=true, flag]\n"
    )
    assert spec["TaskTemplate"]["ContainerSpec"]["Labels"] == {
        "com.example.n": "42",
        "empty": "",
        "com.docker.stack.namespace": "st",
    }
    assert spec["Labels"] == {
        "traefik.enable": "true",
        "flag": "",
        "com.docker.stack.namespace": "st",
        "com.docker.stack.image": "lab/busybox:1",
    }


def test_ports_short_syntax_ranges_and_ip():
    text = 'version: "3.13"\nservices:\n  web:\n    image: x\n    ports:\n'
    text += '      - "8080"\n      - "9090-9091:8080-8081"\n      - "127.0.0.1:5000:5000/udp"\n      - 7000-7001:7000\n'
    plan = load_stack(text, namespace=NS)
    assert plan.services["web"]["EndpointSpec"]["Ports"] == [
        {"Protocol": "tcp", "TargetPort": 8080, "PublishMode": "ingress"},
        {"Protocol": "udp", "TargetPort": 5000, "PublishedPort": 5000, "PublishMode": "ingress"},
        {"Protocol": "tcp", "TargetPort": 7000, "PublishedPort": 7000, "PublishMode": "ingress"},
        {"Protocol": "tcp", "TargetPort": 7000, "PublishedPort": 7001, "PublishMode": "ingress"},
        {"Protocol": "tcp", "TargetPort": 8080, "PublishedPort": 9090, "PublishMode": "ingress"},
        {"Protocol": "tcp", "TargetPort": 8081, "PublishedPort": 9091, "PublishMode": "ingress"},
    ]
    assert plan.warnings == ["ignoring IP-address (127.0.0.1:5000:5000/udp) service will listen on '0.0.0.0'"]


def test_ports_long_syntax_host_mode_and_endpoint_mode():
    spec = spec_of(
        "    ports:\n      - target: 80\n        published: 8080\n        protocol: udp\n        mode: host\n"
        "      - target: 81\n        mode: host\n    deploy:\n      endpoint_mode: DNSRR\n"
    )
    assert spec["EndpointSpec"] == {
        "Mode": "dnsrr",
        "Ports": [
            {"TargetPort": 81, "PublishMode": "host"},
            {"Protocol": "udp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "host"},
        ],
    }
    assert spec_of("    ports:\n      - target: 81\n")["EndpointSpec"] == {"Ports": [{"TargetPort": 81}]}


@pytest.mark.parametrize(
    ("port", "words"),
    [("65536", "invalid container port"), ("1-2:3-5", "ranges"), ("80/xtp", "invalid protocol"), ("x:80:80", "IP")],
)
def test_bad_ports(port, words):
    assert words in error_of(f'    ports:\n      - "{port}"\n').message


def test_deploy_modes_and_jobs():
    assert spec_of("    deploy:\n      mode: global\n")["Mode"] == {"Global": {}}
    assert spec_of("    deploy:\n      replicas: 0\n")["Mode"] == {"Replicated": {"Replicas": 0}}
    assert spec_of("    deploy:\n      mode: replicated-job\n      replicas: 3\n")["Mode"] == {
        "ReplicatedJob": {"MaxConcurrent": 3, "TotalCompletions": 3}
    }
    assert spec_of("    deploy:\n      mode: replicated-job\n")["Mode"] == {"ReplicatedJob": {}}
    assert spec_of("    deploy:\n      mode: global-job\n")["Mode"] == {"GlobalJob": {}}
    error = error_of("    deploy:\n      mode: global\n      replicas: 2\n")
    assert error.field == "services.web.deploy.replicas"
    assert "replicas can only be used with replicated or replicated-job mode" in error.message
    assert "unknown mode: sometimes" in error_of("    deploy:\n      mode: sometimes\n").message
    assert "0 or more" in error_of("    deploy:\n      replicas: -1\n").message


def test_update_and_rollback_config_defaults():
    spec = spec_of(
        "    deploy:\n      update_config:\n        delay: 10s\n        failure_action: rollback\n"
        "        monitor: 1m\n        max_failure_ratio: 0.25\n        order: start-first\n"
        "      rollback_config:\n        parallelism: 0\n"
    )
    assert spec["UpdateConfig"] == {
        "Parallelism": 1,
        "Delay": 10_000_000_000,
        "FailureAction": "rollback",
        "Monitor": 60_000_000_000,
        "MaxFailureRatio": 0.25,
        "Order": "start-first",
    }
    assert spec["RollbackConfig"] == {"Parallelism": 0, "MaxFailureRatio": 0.0}
    assert "UpdateConfig" not in spec_of("")


def test_resources():
    task = spec_of(
        "    deploy:\n      resources:\n        limits:\n          cpus: '0.5'\n          memory: 1.5g\n"
        "          pids: 100\n        reservations:\n          cpus: '1/4'\n          memory: 64M\n"
        "          generic_resources:\n            - discrete_resource_spec:\n                kind: gpu\n"
        "                value: 2\n"
    )["TaskTemplate"]
    assert task["Resources"] == {
        "Limits": {"NanoCPUs": 500_000_000, "MemoryBytes": 1_610_612_736, "Pids": 100},
        "Reservations": {
            "NanoCPUs": 250_000_000,
            "MemoryBytes": 67_108_864,
            "GenericResources": [{"DiscreteResourceSpec": {"Kind": "gpu", "Value": 2}}],
        },
    }
    assert (
        "too precise" in error_of("    deploy:\n      resources:\n        limits:\n          cpus: '1e-10'\n").message
    )
    assert (
        "invalid suffix" in error_of("    deploy:\n      resources:\n        limits:\n          memory: 1x\n").message
    )


def test_restart_policy_and_legacy_restart():
    task = spec_of("    deploy:\n      restart_policy:\n        condition: on-failure\n        max_attempts: 3\n")[
        "TaskTemplate"
    ]
    assert task["RestartPolicy"] == {"Condition": "on-failure", "MaxAttempts": 3}
    task = spec_of("    restart: always\n    deploy:\n      restart_policy:\n        delay: 5s\n        window: 2m\n")[
        "TaskTemplate"
    ]
    assert task["RestartPolicy"] == {"Delay": 5_000_000_000, "Window": 120_000_000_000}
    assert spec_of("    restart: unless-stopped\n")["TaskTemplate"]["RestartPolicy"] == {"Condition": "any"}
    assert spec_of("    restart: on-failure:4\n")["TaskTemplate"]["RestartPolicy"] == {
        "Condition": "on-failure",
        "MaxAttempts": 4,
    }
    assert "RestartPolicy" not in spec_of("    restart: 'no'\n")["TaskTemplate"]
    assert "unknown policy 'sometimes'" in error_of("    restart: sometimes\n").message


def test_placement():
    task = spec_of(
        "    deploy:\n      placement:\n        constraints: [node.role == manager, node.labels.zone==a]\n"
        "        preferences:\n          - spread: node.labels.zone\n        max_replicas_per_node: 2\n"
    )["TaskTemplate"]
    assert task["Placement"] == {
        "Constraints": ["node.role == manager", "node.labels.zone==a"],
        "Preferences": [{"Spread": {"SpreadDescriptor": "node.labels.zone"}}],
        "MaxReplicas": 2,
    }


def test_healthcheck_forms():
    container = container_of(
        "    healthcheck:\n      test: wget -qO- http://localhost/\n      interval: 30s\n      timeout: 1.5s\n"
        "      retries: 3\n      start_period: 1m\n      start_interval: 500ms\n"
    )
    assert container["Healthcheck"] == {
        "Test": ["CMD-SHELL", "wget -qO- http://localhost/"],
        "Interval": 30_000_000_000,
        "Timeout": 1_500_000_000,
        "StartPeriod": 60_000_000_000,
        "StartInterval": 500_000_000,
        "Retries": 3,
    }
    assert container_of("    healthcheck:\n      test: [CMD, 'true']\n")["Healthcheck"] == {"Test": ["CMD", "true"]}
    assert container_of("    healthcheck:\n      disable: true\n")["Healthcheck"] == {"Test": ["NONE"]}
    error = error_of("    healthcheck:\n      disable: true\n      test: [CMD, x]\n")
    assert "test and disable can't be set at the same time" in error.message


def test_container_fields():
    container = container_of(
        "    hostname: '{{.Service.Name}}-{{.Task.Slot}}'\n    user: '1000:1000'\n    working_dir: /srv\n"
        "    tty: true\n    stdin_open: true\n    read_only: true\n    init: true\n    isolation: default\n"
        "    stop_signal: SIGTERM\n    stop_grace_period: 1m30s\n    oom_score_adj: 100\n"
        "    sysctls:\n      net.core.somaxconn: 1024\n    dns: [10.0.0.2, not-an-ip]\n    dns_search: example.test\n"
        "    extra_hosts:\n      - 'db:10.0.0.5'\n      - 'v6:::1'\n"
    )
    assert container["Hostname"] == "{{.Service.Name}}-{{.Task.Slot}}"
    assert container["User"] == "1000:1000"
    assert container["Dir"] == "/srv"
    assert container["TTY"] is container["OpenStdin"] is container["ReadOnly"] is container["Init"] is True
    assert container["Isolation"] == "default"
    assert container["StopSignal"] == "SIGTERM"
    assert container["StopGracePeriod"] == 90_000_000_000
    assert "OomScoreAdj" not in container  # accepted by the 3.13 schema, ignored by the CLI (28.x)
    assert container["Sysctls"] == {"net.core.somaxconn": "1024"}
    assert container["DNSConfig"] == {"Nameservers": ["10.0.0.2", "not-an-ip"], "Search": ["example.test"]}
    assert container["Hosts"] == ["10.0.0.5 db", "::1 v6"]


def test_extra_hosts_mapping_is_sorted():
    container = container_of("    extra_hosts:\n      zeta: 10.0.0.2\n      alpha: '[::1]'\n")
    assert container["Hosts"] == ["::1 alpha", "10.0.0.2 zeta"]


def test_extra_hosts_list_forms():
    container = container_of("    extra_hosts: ['a=10.0.0.1', 'b:[::2]', 'c=::3', 'no-address']\n")
    assert container["Hosts"] == ["10.0.0.1 a", "::2 b", "::3 c"]


def test_ulimits_and_capabilities():
    container = container_of(
        "    ulimits:\n      nproc: 65535\n      nofile:\n        soft: 20000\n        hard: 40000\n"
        "    cap_add: [net_admin, CAP_SYS_TIME, SYS_PTRACE]\n    cap_drop: [NET_ADMIN, mknod, all]\n"
    )
    assert container["Ulimits"] == [
        {"Name": "nofile", "Soft": 20000, "Hard": 40000},
        {"Name": "nproc", "Soft": 65535, "Hard": 65535},
    ]
    assert container["CapabilityAdd"] == ["CAP_NET_ADMIN", "CAP_SYS_PTRACE", "CAP_SYS_TIME"]
    assert container["CapabilityDrop"] == ["ALL"]
    container = container_of("    cap_add: [ALL, NET_ADMIN]\n    cap_drop: [NET_ADMIN, MKNOD]\n")
    assert container["CapabilityAdd"] == ["ALL"]
    assert container["CapabilityDrop"] == ["CAP_MKNOD", "CAP_NET_ADMIN"]


def test_logging():
    task = spec_of(
        "    logging:\n      driver: json-file\n      options:\n        max-size: 10m\n        max-file: 3\n"
    )["TaskTemplate"]
    assert task["LogDriver"] == {"Name": "json-file", "Options": {"max-size": "10m", "max-file": "3"}}


def test_volume_bind_and_tmpfs_mounts():
    top = "volumes:\n  data:\n    driver: local\n    driver_opts:\n      type: tmpfs\n      device: tmpfs\n"
    top += "    labels:\n      backup: 'yes'\n  ext:\n    external: true\n    name: shared-data\n  plain:\n"
    container = container_of(
        "    volumes:\n      - data:/data:nocopy\n      - ext:/ext:ro\n      - plain:/plain\n"
        "      - /tmp:/host-tmp:ro\n"
        "      - /var/log:/logs:rslave\n      - /cache\n"
        "      - type: tmpfs\n        target: /scratch\n        tmpfs:\n          size: 65536\n"
        "      - type: bind\n        source: /tmp\n        target: /bind\n        read_only: true\n"
        "        consistency: cached\n        bind:\n          propagation: rprivate\n",
        top,
    )
    assert container["Mounts"] == [
        {
            "Type": "volume",
            "Source": "st_data",
            "Target": "/data",
            "VolumeOptions": {
                "NoCopy": True,
                "Labels": {"backup": "yes", "com.docker.stack.namespace": "st"},
                "DriverConfig": {"Name": "local", "Options": {"type": "tmpfs", "device": "tmpfs"}},
            },
        },
        {"Type": "volume", "Source": "shared-data", "Target": "/ext", "ReadOnly": True, "VolumeOptions": {}},
        {
            "Type": "volume",
            "Source": "st_plain",
            "Target": "/plain",
            "VolumeOptions": {"Labels": {"com.docker.stack.namespace": "st"}},
        },
        {"Type": "bind", "Source": "/tmp", "Target": "/host-tmp", "ReadOnly": True},
        {"Type": "bind", "Source": "/var/log", "Target": "/logs", "BindOptions": {"Propagation": "rslave"}},
        {"Type": "volume", "Target": "/cache"},
        {"Type": "tmpfs", "Target": "/scratch", "TmpfsOptions": {"SizeBytes": 65536}},
        {
            "Type": "bind",
            "Source": "/tmp",
            "Target": "/bind",
            "ReadOnly": True,
            "Consistency": "cached",
            "BindOptions": {"Propagation": "rprivate"},
        },
    ]


@pytest.mark.parametrize(
    ("snippet", "words"),
    [
        ("      - nope:/data\n", 'undefined volume "nope"'),
        ("      - ./rel:/data\n", "relative"),
        ("      - type: tmpfs\n        source: /a\n        target: /b\n", "tmpfs source, source must be empty"),
        (
            "      - type: bind\n        source: /a\n        target: /b\n        volume:\n          nocopy: true\n",
            "volume options",
        ),
        ("      - type: sideways\n        target: /b\n", "volume type must be"),
        ("      - data:/b:ro:extra\n", "too many colons"),
    ],
)
def test_bad_mounts(snippet, words):
    assert words in error_of("    volumes:\n" + snippet).message


def test_relative_bind_with_a_working_dir():
    container = container_of(
        "    volumes:\n      - ./conf:/etc/conf:ro\n      - ~/x:/x\n",
        working_dir="/srv/app",
        variables={"HOME": "/home/u"},
    )
    assert [m["Source"] for m in container["Mounts"]] == ["/srv/app/conf", "/home/u/x"]


def test_networks_aliases_driver_opts_and_order():
    top = "networks:\n  front:\n  back:\n    name: shared-back\n  ext:\n    external: true\n  hostnet:\n"
    top += "    external: true\n    name: host\n"
    spec = spec_of(
        "    networks:\n      front:\n        aliases: [www]\n        ipv4_address: 10.0.0.9\n      back:\n"
        "        driver_opts:\n          com.example.mtu: 1400\n      ext:\n      hostnet:\n",
        top,
    )
    assert spec["TaskTemplate"]["Networks"] == [
        {"Target": "ext", "Aliases": ["web"]},
        {"Target": "host"},
        {"Target": "shared-back", "Aliases": ["web"], "DriverOpts": {"com.example.mtu": "1400"}},
        {"Target": "st_front", "Aliases": ["www", "web"]},
    ]
    assert 'undefined network "nope"' in error_of("    networks: [nope]\n").message


def test_secrets_and_configs_references():
    top = (
        "secrets:\n  db_password:\n    file: ./secret.txt\n  api_key:\n    external: true\n    name: prod-api-key\n"
        "configs:\n  nginx:\n    file: ./nginx.conf\n"
    )
    container = container_of(
        "    secrets:\n      - db_password\n      - source: api_key\n        target: key\n        uid: '1000'\n"
        "        gid: '1000'\n        mode: 0400\n"
        "    configs:\n      - source: nginx\n        target: /etc/nginx.conf\n",
        top,
        files={"secret.txt": "s3cret", "nginx.conf": "events {}"},
    )
    assert container["Secrets"] == [
        {
            "File": {"Name": "key", "UID": "1000", "GID": "1000", "Mode": 0o400},
            "SecretID": "",
            "SecretName": "prod-api-key",
        },
        {
            "File": {"Name": "db_password", "UID": "0", "GID": "0", "Mode": 0o444},
            "SecretID": "",
            "SecretName": "st_db_password",
        },
    ]
    assert container["Configs"] == [
        {
            "File": {"Name": "/etc/nginx.conf", "UID": "0", "GID": "0", "Mode": 0o444},
            "ConfigID": "",
            "ConfigName": "st_nginx",
        }
    ]
    assert 'undefined secret "nope"' in error_of("    secrets: [nope]\n").message
    error = error_of(
        "    secrets:\n      - source: a\n        target: same\n      - source: b\n        target: same\n",
        "secrets:\n  a:\n    external: true\n  b:\n    external: true\n",
    )
    assert "duplicate secret target for same not allowed" in error.message


def test_credential_spec():
    container = container_of("    credential_spec:\n      file: spec.json\n")
    assert container["Privileges"] == {"CredentialSpec": {"File": "spec.json"}}
    container = container_of(
        "    credential_spec:\n      config: cs\n", "configs:\n  cs:\n    file: ./cs.json\n", files={"cs.json": "{}"}
    )
    assert container["Privileges"] == {"CredentialSpec": {"Config": "st_cs"}}
    assert container["Configs"] == [{"Runtime": {}, "ConfigID": "", "ConfigName": "st_cs"}]
    assert "cannot specify both" in error_of("    credential_spec:\n      file: a\n      registry: b\n").message


def test_extension_fields_are_ignored():
    spec = spec_of("    x-custom:\n      anything: [1, 2]\n", "x-top: {a: 1}\n")
    assert "x-custom" not in str(spec)
