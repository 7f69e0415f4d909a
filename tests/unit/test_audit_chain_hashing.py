"""The audit chain's hashing and verification (domain/audit.py), with no database at all."""

from __future__ import annotations

from typing import Any

import pytest

from domain.audit import (
    GENESIS,
    ChainBreak,
    ChainEntry,
    ChainHead,
    canonical,
    link_hash,
    verify_chain,
)


def build_chain(contents: list[tuple[str, str, dict[str, Any]]]) -> list[ChainEntry]:
    """Entries chained exactly as the back office chains them: (table, row id, content)."""
    entries: list[ChainEntry] = []
    prev = GENESIS
    for seq, (table, row_id, content) in enumerate(contents, start=1):
        digest = link_hash(seq, table, content, prev)
        entries.append(
            ChainEntry(
                seq=seq,
                table=table,
                row_id=row_id,
                account_id=content["account_id"],
                content=content,
                hash=digest,
                prev_hash=prev,
            )
        )
        prev = digest
    return entries


def head_of(entries: list[ChainEntry]) -> ChainHead:
    return ChainHead(seq=entries[-1].seq, hash=entries[-1].hash)


@pytest.fixture
def chain() -> list[ChainEntry]:
    return build_chain(
        [
            ("decisions", "dec_1", {"account_id": "100001", "outcome": "apply", "cents": 500}),
            ("transitions", "tr_1", {"account_id": "100001", "to_status": "offered"}),
            ("decisions", "dec_2", {"account_id": "100004", "outcome": "human", "cents": 1299}),
            ("transitions", "tr_2", {"account_id": "100004", "to_status": "pending_approval"}),
            ("transitions", "tr_3", {"account_id": "100001", "to_status": "applied"}),
        ]
    )


def test_an_intact_chain_ending_at_its_head_verifies(chain: list[ChainEntry]) -> None:
    assert verify_chain(chain, head_of(chain)) is None


def test_an_empty_chain_without_a_head_verifies() -> None:
    assert verify_chain([], None) is None


def test_the_first_link_points_at_the_genesis_hash(chain: list[ChainEntry]) -> None:
    assert chain[0].prev_hash == GENESIS == "0" * 64


def test_a_link_hash_is_64_lowercase_hex_digits_and_deterministic() -> None:
    digest = link_hash(1, "decisions", {"b": 2, "a": 1}, GENESIS)
    assert len(digest) == 64
    assert set(digest) <= set("0123456789abcdef")
    assert digest == link_hash(1, "decisions", {"a": 1, "b": 2}, GENESIS)


def test_the_canonical_form_ignores_key_order_and_has_no_spaces() -> None:
    assert canonical({"b": [1, 2], "a": {"y": 1, "x": 2}}) == b'{"a":{"x":2,"y":1},"b":[1,2]}'


@pytest.mark.parametrize(
    "changed",
    [
        {"seq": 2},
        {"table": "transitions"},
        {"content": {"b": 2, "a": 2}},
        {"prev": "1" * 64},
    ],
    ids=["seq", "table", "content", "prev_hash"],
)
def test_a_link_hash_covers_the_sequence_the_table_the_content_and_the_previous_hash(
    changed: dict[str, Any],
) -> None:
    base: dict[str, Any] = {
        "seq": 1,
        "table": "decisions",
        "content": {"a": 1, "b": 2},
        "prev": GENESIS,
    }
    other = {**base, **changed}
    assert link_hash(base["seq"], base["table"], base["content"], base["prev"]) != link_hash(
        other["seq"], other["table"], other["content"], other["prev"]
    )


def test_editing_a_rows_content_breaks_the_chain_at_that_row(chain: list[ChainEntry]) -> None:
    edited = chain[2].model_copy(update={"content": {**chain[2].content, "outcome": "apply"}})
    tampered = [*chain[:2], edited, *chain[3:]]

    broken = verify_chain(tampered, head_of(chain))

    assert broken == ChainBreak(
        seq=3,
        table="decisions",
        row_id="dec_2",
        problem="hash does not match the row's content (the row was edited)",
    )


def test_editing_a_row_and_rehashing_it_is_caught_by_the_next_row(
    chain: list[ChainEntry],
) -> None:
    content = {**chain[2].content, "cents": 99999}
    edited = chain[2].model_copy(
        update={"content": content, "hash": link_hash(3, "decisions", content, chain[1].hash)}
    )
    tampered = [*chain[:2], edited, *chain[3:]]

    broken = verify_chain(tampered, head_of(chain))

    assert broken is not None
    assert (broken.seq, broken.table, broken.row_id) == (4, "transitions", "tr_2")
    assert "previous hash" in broken.problem


def test_removing_a_middle_row_breaks_the_chain_at_the_row_after_the_gap(
    chain: list[ChainEntry],
) -> None:
    tampered = [*chain[:2], *chain[3:]]

    broken = verify_chain(tampered, head_of(chain))

    assert broken is not None
    assert (broken.seq, broken.table, broken.row_id) == (4, "transitions", "tr_2")
    assert broken.problem == "sequence 4 where 3 was expected (a row is missing)"


def test_removing_a_middle_row_and_renumbering_is_caught_by_the_previous_hash(
    chain: list[ChainEntry],
) -> None:
    renumbered = [e.model_copy(update={"seq": e.seq - 1}) for e in chain[3:]]
    tampered = [*chain[:2], *renumbered]

    broken = verify_chain(tampered, head_of(chain))

    assert broken is not None
    assert (broken.seq, broken.table, broken.row_id) == (3, "transitions", "tr_2")
    assert "previous hash does not match" in broken.problem


def test_removing_the_newest_row_is_caught_by_the_head_that_still_points_past_it(
    chain: list[ChainEntry],
) -> None:
    broken = verify_chain(chain[:-1], head_of(chain))

    assert broken is not None
    assert broken.seq == 5
    assert (broken.table, broken.row_id) == ("(deleted)", "(deleted)")
    assert "ends at 4" in broken.problem
    assert "head is at 5" in broken.problem
    assert "newest rows were deleted" in broken.problem


def test_removing_every_row_while_the_head_remains_is_caught(chain: list[ChainEntry]) -> None:
    broken = verify_chain([], head_of(chain))

    assert broken is not None
    assert broken.seq == 1
    assert "ends at 0" in broken.problem
    assert "head is at 5" in broken.problem


def test_swapping_two_rows_breaks_the_chain_at_the_first_of_them(
    chain: list[ChainEntry],
) -> None:
    tampered = [chain[0], chain[2], chain[1], *chain[3:]]

    broken = verify_chain(tampered, head_of(chain))

    assert broken is not None
    # the row now in second place is dec_2 still numbered 3: out of sequence
    assert (broken.seq, broken.table, broken.row_id) == (3, "decisions", "dec_2")
    assert "where 2 was expected" in broken.problem


def test_swapping_two_rows_sequence_numbers_breaks_the_chain_at_the_first_of_them(
    chain: list[ChainEntry],
) -> None:
    second = chain[1].model_copy(update={"seq": 3})
    third = chain[2].model_copy(update={"seq": 2})
    tampered = [chain[0], third, second, *chain[3:]]

    broken = verify_chain(tampered, head_of(chain))

    assert broken is not None
    assert (broken.seq, broken.table, broken.row_id) == (2, "decisions", "dec_2")
    assert "previous hash does not match" in broken.problem


def test_swapping_two_rows_contents_breaks_the_chain_at_the_first_of_them(
    chain: list[ChainEntry],
) -> None:
    first = chain[0].model_copy(update={"content": chain[2].content})
    third = chain[2].model_copy(update={"content": chain[0].content})
    tampered = [first, chain[1], third, *chain[3:]]

    broken = verify_chain(tampered, head_of(chain))

    assert broken is not None
    assert (broken.seq, broken.table, broken.row_id) == (1, "decisions", "dec_1")
    assert "the row was edited" in broken.problem


def test_a_wrong_previous_hash_breaks_the_chain_at_that_row(chain: list[ChainEntry]) -> None:
    wrong = chain[1].model_copy(update={"prev_hash": "f" * 64})
    tampered = [chain[0], wrong, *chain[2:]]

    broken = verify_chain(tampered, head_of(chain))

    assert broken == ChainBreak(
        seq=2,
        table="transitions",
        row_id="tr_1",
        problem="previous hash does not match the row before it (rows removed or reordered)",
    )


def test_a_first_row_not_pointing_at_genesis_breaks_the_chain_at_seq_1(
    chain: list[ChainEntry],
) -> None:
    wrong = chain[0].model_copy(update={"prev_hash": "f" * 64})

    broken = verify_chain([wrong, *chain[1:]], head_of(chain))

    assert broken is not None
    assert (broken.seq, broken.row_id) == (1, "dec_1")
    assert "previous hash" in broken.problem


def test_an_altered_head_hash_is_reported_at_the_newest_row(chain: list[ChainEntry]) -> None:
    head = ChainHead(seq=5, hash="a" * 64)

    broken = verify_chain(chain, head)

    assert broken is not None
    assert (broken.seq, broken.table, broken.row_id) == (5, "transitions", "tr_3")
    assert "stored chain head does not match the newest row" in broken.problem


def test_a_head_behind_the_newest_row_is_reported_at_the_newest_row(
    chain: list[ChainEntry],
) -> None:
    broken = verify_chain(chain, head_of(chain[:4]))

    assert broken is not None
    assert (broken.seq, broken.row_id) == (5, "tr_3")
    assert "appended outside the back office" in broken.problem


def test_a_chain_whose_head_was_deleted_is_reported_at_the_newest_row(
    chain: list[ChainEntry],
) -> None:
    broken = verify_chain(chain, None)

    assert broken is not None
    assert (broken.seq, broken.row_id) == (5, "tr_3")
    assert "head" in broken.problem


def test_a_head_without_any_rows_is_reported_as_deleted_rows() -> None:
    broken = verify_chain([], ChainHead(seq=1, hash="b" * 64))

    assert broken is not None
    assert broken.seq == 1
    assert broken.row_id == "(deleted)"


def test_the_first_break_is_reported_when_there_are_several(chain: list[ChainEntry]) -> None:
    second = chain[1].model_copy(update={"content": {"account_id": "100001", "to_status": "x"}})
    fourth = chain[3].model_copy(update={"prev_hash": "0" * 64})

    broken = verify_chain([chain[0], second, chain[2], fourth, chain[4]], head_of(chain))

    assert broken is not None
    assert broken.row_id == "tr_1"
