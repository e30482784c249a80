from proxy.engine.router import compile_template


def test_template_matches_with_and_without_trailing_slash() -> None:
    rx = compile_template("/api/v1/person/{person_id}")
    m = rx.match("/api/v1/person/01ABC")
    assert m and m.group("person_id") == "01ABC"
    assert rx.match("/api/v1/person/01ABC/")
    assert not rx.match("/api/v1/person/01ABC/metrics/timeline")
    assert not rx.match("/api/v1/person/")
