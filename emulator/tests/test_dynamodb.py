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
