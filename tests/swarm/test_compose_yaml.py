"""YAML as the Docker CLI reads it (go-yaml v3): scalars, anchors, merge keys, lines, and hostile input."""

import time

import pytest

from apps.swarm.compose import ComposeError, load_stack
from apps.swarm.compose.yamlsrc import MAX_BYTES, parse


def env_of(text: str, **kwargs) -> list[str]:
    plan = load_stack(text, namespace="st", **kwargs)
    return plan.services["web"]["TaskTemplate"]["ContainerSpec"]["Env"]


def test_scalars_follow_go_yaml_v3_not_yaml_1_1():
    data = parse(
        "a: yes\nb: 0644\nc: 0o17\nd: 1_000\ne: 08\nf: .5\ng: 1e3\nh: ~\ni: 0x1F\nj: Off\nk: 1.0\nl: '0644'\n"
        "m: 2001-12-14\nn: 0b11\no: _1\np: 1:20\n"
    ).data
    assert data == {
        "a": "yes",
        "b": 420,
        "c": 15,
        "d": 1000,
        "e": 8.0,
        "f": 0.5,
        "g": 1000.0,
        "h": None,
        "i": 31,
        "j": "Off",
        "k": 1.0,
        "l": "0644",
        "m": "2001-12-14 00:00:00 +0000 UTC",
        "n": 3,
        "o": "_1",
        "p": "1:20",
    }


def test_numbers_in_environment_mappings_print_as_go_prints_them():
    text = (
        "services:\n  web:\n    image: lab/busybox:1\n    environment:\n"
        "      A: 0644\n      B: 1.0\n      C: 1000000.0\n      D: 123456789.123\n      E: 0.1\n"
        "      F: 2001-12-14T21:59:43+01:00\n      G: yes\n      H: 1e-7\n"
    )
    assert env_of(text) == [
        "A=420",
        "B=1",
        "C=1e+06",
        "D=1.23456789123e+08",
        "E=0.1",
        "F=2001-12-14 21:59:43 +0100 +0100",
        "G=yes",
        "H=1e-07",
    ]


def test_anchors_and_merge_keys():
    text = """
x-defaults: &defaults
  image: lab/busybox:1
  environment: &env
    A: "1"
    B: "2"
  deploy:
    replicas: 2
x-more: &more
  image: other/image:2
  user: nobody
services:
  web:
    <<: [*defaults, *more]
    environment:
      <<: *env
      B: "3"
  api:
    <<: *defaults
"""
    plan = load_stack(text, namespace="st")
    web = plan.services["web"]
    # explicit keys win over merged ones; among merges the first one wins
    assert web["TaskTemplate"]["ContainerSpec"]["Image"] == "lab/busybox:1"
    assert web["TaskTemplate"]["ContainerSpec"]["User"] == "nobody"
    assert web["TaskTemplate"]["ContainerSpec"]["Env"] == ["A=1", "B=3"]
    assert web["Mode"] == {"Replicated": {"Replicas": 2}}
    assert plan.services["api"]["Mode"] == {"Replicated": {"Replicas": 2}}


def test_each_key_has_its_line():
    src = parse("services:\n  web:\n    image: x\n    deploy:\n      replicas: 2\n    ports:\n      - 80\n")
    assert src.line(("services", "web", "deploy", "replicas")) == 5
    assert src.line(("services", "web", "ports", 0)) == 7
    assert src.line(("services", "web", "ports", 0, "target")) == 7  # nearest written ancestor


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("services:\n  web:\n    image: x\n  bad: b: c\n", 4, "mapping values are not allowed"),
        ("services:\n  web:\n    image: [x\n", 4, "invalid YAML"),
        ("services:\n  web:\n    image: x\n    image: y\n", 4, 'mapping key "image" already defined at line 3'),
        ("services:\n  web:\n    image: x\n    environment:\n      1: a\n", 5, "must be a string"),
        ("services:\n  web: &w\n    image: x\n    labels: *w\n", 2, "contains it"),
        ("services:\n  web:\n    image: !!python/object:os.system x\n", 3, "unsupported YAML tag"),
        ("services:\n  web:\n    <<: [a]\n", 3, "map merge requires map"),
    ],
)
def test_bad_yaml_names_the_line_and_cause(text, line, words):
    with pytest.raises(ComposeError) as caught:
        load_stack(text, namespace="st")
    assert caught.value.line == line
    assert words in str(caught.value)
    assert str(caught.value).startswith(f"line {line}: ")


def test_top_level_must_be_a_mapping():
    for text in ("- a\n- b\n", "just text\n", ""):
        with pytest.raises(ComposeError, match="top level of a Compose file must be a mapping"):
            load_stack(text, namespace="st")


def test_alias_bomb_is_refused_fast():
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for index, name in enumerate("bcdefghi"):
        previous = "abcdefghi"[index]
        text += f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]\n"
    text += "services:\n  web:\n    image: x\n    x-bomb: *i\n"
    started = time.monotonic()
    with pytest.raises(ComposeError, match="alias bomb") as caught:
        load_stack(text, namespace="st")
    assert time.monotonic() - started < 1.0
    assert caught.value.line is not None


def test_many_small_aliases_are_fine():
    text = "x-env: &env {A: '1'}\nservices:\n" + "".join(
        f"  s{i}:\n    image: lab/busybox:1\n    environment: *env\n" for i in range(200)
    )
    plan = load_stack(text, namespace="st")
    assert len(plan.services) == 200


def test_file_over_one_mebibyte_is_refused_fast():
    text = "services:\n  web:\n    image: x\n" + "# padding\n" * (MAX_BYTES // 10 + 1)
    started = time.monotonic()
    with pytest.raises(ComposeError, match="limit is 1048576 bytes"):
        load_stack(text, namespace="st")
    assert time.monotonic() - started < 1.0


def test_deep_nesting_is_refused():
    text = "services:\n  web:\n    image: x\n    x-deep: " + "[" * 500 + "]" * 500 + "\n"
    with pytest.raises(ComposeError, match="nested"):
        load_stack(text, namespace="st")


def test_only_the_first_document_counts():
    plan = load_stack("services:\n  web:\n    image: lab/busybox:1\n---\nservices: 5\n", namespace="st")
    assert list(plan.services) == ["web"]
