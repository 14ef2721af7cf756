"""The published schema: at least 30 operations over every part of the platform, each described in Chinese,
each documenting the one error shape."""

import re

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_the_schema_covers_the_platform_in_chinese_with_one_error_shape(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    operations = [(path, method, op) for path, item in schema["paths"].items() for method, op in item.items()]
    assert len(operations) >= 30
    for part in ("/notices", "/requirements", "/policies", "/rosters", "/supervision", "/stats", "/rankings",
                 "/dashboard"):
        assert any(path.startswith("/api/v1" + part) for path, _, _ in operations), part
    assert CJK.search(schema["info"]["description"])
    for path, method, op in operations:
        assert CJK.search(op["summary"]), (method, path)
        assert op["tags"] and all(CJK.search(t) for t in op["tags"]), (method, path)
        for status in ("401", "403", "404", "422"):
            response = op["responses"][status]
            assert CJK.search(response["description"])
            assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
        for parameter in op.get("parameters", []):
            assert CJK.search(parameter.get("description", "")), (method, path, parameter["name"])
        ok = op["responses"].get("200") or op["responses"]["202"]
        assert CJK.search(ok["description"]), (method, path)
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"detail", "errors"} and CJK.search(error["properties"]["detail"]["description"])


def test_request_bodies_carry_examples(client, db):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    for name in ("ValuesIn", "InspectionIn", "SanctionIn", "ReviewIn", "CaseStatusIn", "NoteIn", "PublishIn"):
        assert any("examples" in prop for prop in schemas[name]["properties"].values()), name
