"""Tests of the DynamoDB atomicity patch: concurrent conditional writes behave as in DynamoDB."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from conftest import SECURITY, ClientFactory

import firebreak_moto


def _table(client: ClientFactory) -> Any:
    ddb = client("dynamodb", account=SECURITY)
    ddb.create_table(
        TableName="ledger",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return ddb


def test_concurrent_conditional_transactions_commit_exactly_once(client: ClientFactory) -> None:
    _table(client)

    def claim(n: int) -> bool:
        ddb = client("dynamodb", account=SECURITY)
        try:
            ddb.transact_write_items(TransactItems=[
                {"Put": {"TableName": "ledger", "Item": {"pk": {"S": "CLAIM#x"}, "sk": {"S": "CLAIM"}, "case": {"S": f"c{n}"}},
                         "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Put": {"TableName": "ledger", "Item": {"pk": {"S": f"CASE#c{n}"}, "sk": {"S": "CASE"}},
                         "ConditionExpression": "attribute_not_exists(pk)"}},
            ])
            return True
        except ddb.exceptions.TransactionCanceledException:
            return False

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(claim, range(24)))
    assert results.count(True) == 1
    items = client("dynamodb", account=SECURITY).scan(TableName="ledger")["Items"]
    cases = [i for i in items if i["pk"]["S"].startswith("CASE#")]
    claims = [i for i in items if i["pk"]["S"] == "CLAIM#x"]
    assert len(claims) == 1
    assert len(cases) == 1
    assert cases[0]["pk"]["S"] == f"CASE#{claims[0]['case']['S']}"


def test_concurrent_conditional_puts_succeed_exactly_once(client: ClientFactory) -> None:
    _table(client)

    def put(n: int) -> bool:
        ddb = client("dynamodb", account=SECURITY)
        try:
            ddb.put_item(TableName="ledger", Item={"pk": {"S": "once"}, "sk": {"S": "x"}, "n": {"N": str(n)}},
                         ConditionExpression="attribute_not_exists(pk)")
            return True
        except ddb.exceptions.ConditionalCheckFailedException:
            return False

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(put, range(24)))
    assert results.count(True) == 1


def test_patch_is_registered() -> None:
    assert any("TransactWriteItems" in p for p in firebreak_moto.PATCHES)


def test_concurrent_update_items_see_each_other_in_their_all_old_image(client: ClientFactory) -> None:
    # An evidence stage's first write: `SET decisions.<intent> = if_not_exists(decisions.<intent>, :mine)` with
    # ReturnValues ALL_OLD; the one run told the intent was absent holds it (lib/runtime/ec2/evidence.ts).
    ddb = _table(client)
    ddb.put_item(TableName="ledger", Item={"pk": {"S": "CASE#c"}, "sk": {"S": "CASE"}, "decisions": {"M": {}}})

    def first(args: tuple[int, int]) -> tuple[int, bool]:
        key, n = args
        out = client("dynamodb", account=SECURITY).update_item(
            TableName="ledger",
            Key={"pk": {"S": "CASE#c"}, "sk": {"S": "CASE"}},
            UpdateExpression="SET decisions.#k = if_not_exists(decisions.#k, :v), padding = :p",
            ExpressionAttributeNames={"#k": f"intent{key}"},
            ExpressionAttributeValues={":v": {"S": f"run{n}"}, ":p": {"S": "x" * 20000}},
            ReturnValues="ALL_OLD",
        )
        return key, f"intent{key}" not in out["Attributes"]["decisions"]["M"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(first, [(key, n) for key in range(40) for n in range(4)]))
    firsts = [key for key, was_first in results if was_first]
    assert sorted(firsts) == list(range(40))


def _put(ddb: Any, pk: str, sk: str, **attrs: str) -> None:
    ddb.put_item(TableName="ledger", Item={"pk": {"S": pk}, "sk": {"S": sk}, **{k: {"S": v} for k, v in attrs.items()}})


def _items(ddb: Any) -> dict[tuple[str, str], dict[str, Any]]:
    return {(i["pk"]["S"], i["sk"]["S"]): i for i in ddb.scan(TableName="ledger")["Items"]}


def test_cancelled_transaction_leaves_every_named_item_as_it_was(client: ClientFactory) -> None:
    ddb = _table(client)
    _put(ddb, "CASE#a", "CASE", status="OPEN")
    _put(ddb, "CASE#b", "CASE", status="OPEN")
    before = _items(ddb)
    try:
        ddb.transact_write_items(TransactItems=[
            # Applied by moto before the failing check, then rolled back.
            {"Update": {"TableName": "ledger", "Key": {"pk": {"S": "CASE#a"}, "sk": {"S": "CASE"}},
                        "UpdateExpression": "SET #s = :c", "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": {":c": {"S": "CONTAINED"}}}},
            {"Put": {"TableName": "ledger", "Item": {"pk": {"S": "CASE#new"}, "sk": {"S": "CASE"}}}},
            {"Delete": {"TableName": "ledger", "Key": {"pk": {"S": "CASE#b"}, "sk": {"S": "CASE"}}}},
            {"ConditionCheck": {"TableName": "ledger", "Key": {"pk": {"S": "CLAIM#x"}, "sk": {"S": "CLAIM"}},
                                "ConditionExpression": "attribute_exists(pk)"}},
        ])
        raise AssertionError("the transaction should have been cancelled")
    except ddb.exceptions.TransactionCanceledException as err:
        reasons = [r["Code"] for r in err.response["CancellationReasons"]]
        assert reasons == ["None", "None", "None", "ConditionalCheckFailed"]
    assert _items(ddb) == before
    # The table is still the one writes go to: a later write is read back.
    _put(ddb, "CASE#c", "CASE", status="OPEN")
    assert ("CASE#c", "CASE") in _items(ddb)


def test_committed_transaction_writes_every_action(client: ClientFactory) -> None:
    ddb = _table(client)
    _put(ddb, "CASE#b", "CASE", status="OPEN")
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": "ledger", "Item": {"pk": {"S": "CASE#new"}, "sk": {"S": "CASE"}}}},
        {"Delete": {"TableName": "ledger", "Key": {"pk": {"S": "CASE#b"}, "sk": {"S": "CASE"}}}},
    ])
    assert set(_items(ddb)) == {("CASE#new", "CASE")}


def test_transaction_copies_only_the_items_it_names(monkeypatch: Any) -> None:
    """The rollback copy covers the named items: a transaction on a 200-item table deep-copies 2 items, not 400.

    In-process (moto's backend, the patches applied), counting ``Item`` deep copies: before the patch each action
    of a transaction deep-copied the whole table.
    """
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import Item

    firebreak_moto.apply_patches()
    backend = dynamodb_backends["333333333333"]["us-east-1"]
    backend.tables.pop("copies", None)
    backend.create_table(
        "copies",
        schema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        attr=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
        throughput=None, billing_mode="PAY_PER_REQUEST", indexes=None, global_indexes=None, streams=None,
        sse_specification=None, tags=[], deletion_protection_enabled=False, warm_throughput=None,
    )
    for n in range(200):
        backend.put_item("copies", {"pk": {"S": f"CASE#{n}"}, "sk": {"S": "CASE"}})
    copies = []
    original = Item.__deepcopy__
    monkeypatch.setattr(Item, "__deepcopy__", lambda self, memo: copies.append(1) or original(self, memo))
    actions = [
        {"Put": {"TableName": "copies", "Item": {"pk": {"S": "CASE#1"}, "sk": {"S": "CASE"}, "v": {"S": "new"}}}},
        {"ConditionCheck": {"TableName": "copies", "Key": {"pk": {"S": "CASE#2"}, "sk": {"S": "CASE"}},
                            "ConditionExpression": "attribute_not_exists(pk)"}},
    ]
    try:
        backend.transact_write_items(actions)
        raise AssertionError("the transaction should have been cancelled")
    except Exception as err:  # moto's TransactionCanceledException
        assert type(err).__name__ == "TransactionCanceledException"
    assert len(copies) == 2
    assert backend.get_item("copies", {"pk": {"S": "CASE#1"}, "sk": {"S": "CASE"}}).to_json()["Attributes"] == {
        "pk": {"S": "CASE#1"}, "sk": {"S": "CASE"}}


def test_query_reads_the_partition_only(client: ClientFactory, monkeypatch: Any) -> None:
    """Queries on the table's key answer as before (order, range conditions, pages) without listing the table."""
    ddb = _table(client)
    for case in ("a", "b", "c"):
        for n in range(12):
            _put(ddb, f"CASE#{case}", f"TL#{n:03d}", v=str(n))
    got = ddb.query(TableName="ledger", KeyConditionExpression="pk = :p AND begins_with(sk, :t)",
                    ExpressionAttributeValues={":p": {"S": "CASE#b"}, ":t": {"S": "TL#00"}}, ScanIndexForward=False)
    assert [i["sk"]["S"] for i in got["Items"]] == [f"TL#{n:03d}" for n in range(9, -1, -1)]
    pages, start = [], None
    while True:
        page = ddb.query(TableName="ledger", KeyConditionExpression="pk = :p", Limit=5,
                         ExpressionAttributeValues={":p": {"S": "CASE#c"}}, **({"ExclusiveStartKey": start} if start else {}))
        pages.append([i["sk"]["S"] for i in page["Items"]])
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    assert sum(pages, []) == [f"TL#{n:03d}" for n in range(12)]
    assert ddb.query(TableName="ledger", KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "CASE#none"}})["Items"] == []


def test_query_does_not_list_the_table(monkeypatch: Any) -> None:
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType

    firebreak_moto.apply_patches()
    backend = dynamodb_backends["333333333333"]["us-east-1"]
    backend.tables.pop("partitions", None)
    table = backend.create_table(
        "partitions",
        schema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        attr=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
        throughput=None, billing_mode="PAY_PER_REQUEST", indexes=None, global_indexes=None, streams=None,
        sse_specification=None, tags=[], deletion_protection_enabled=False, warm_throughput=None,
    )
    for n in range(200):
        backend.put_item("partitions", {"pk": {"S": f"CASE#{n % 20}"}, "sk": {"S": f"TL#{n:03d}"}})
    listed = []
    original = DynamoType.__lt__
    monkeypatch.setattr(DynamoType, "__lt__", lambda self, other: listed.append(1) or original(self, other))
    items, _, _ = table.query(DynamoType({"S": "CASE#3"}), None, [], None, None, True, None)
    assert [i.range_key.value for i in items] == [f"TL#{n:03d}" for n in range(3, 200, 20)]
    # Sorting the partition's 10 items takes tens of comparisons; sorting the table's 200, hundreds.
    assert len(listed) < 60
    assert len(table.all_items()) == 200
