"""The corpus: real excerpts split by place with a frozen test split, and the invented ones."""

from suiqian.policies.evaluation import (
    SPLITS,
    TEST_SPLIT_SHA256,
    evaluate,
    load_corpus,
    load_split,
    split_sha256,
)
from suiqian.policies.rules import load_rules

MIN_SCORE = 0.95


def test_the_test_split_is_the_one_frozen_before_tuning():
    assert split_sha256() == TEST_SPLIT_SHA256


def test_every_real_excerpt_has_its_source_place_and_labels_and_no_place_is_in_two_splits():
    codes = {r.code for r in load_rules().rules}
    places_by_split, ids = {}, []
    for name in SPLITS:
        excerpts = load_split(name)
        places_by_split[name] = {e.place for e in excerpts}
        ids += [e.id for e in excerpts]
        for e in excerpts:
            assert e.place and e.source.startswith("http"), e.id
            assert e.expected <= codes, e.id
    assert len(ids) == len(set(ids))
    train, dev, test = (places_by_split[n] for n in SPLITS)
    assert not (train & dev) and not (train & test) and not (dev & test)
    total = sum(len(load_split(n)) for n in SPLITS)
    assert len(load_split("test")) * 10 >= total * 3


def test_invented_excerpts_are_apart_and_score_at_least_095():
    invented = load_corpus()
    real_ids = {e.id for n in SPLITS for e in load_split(n)}
    assert not real_ids & {e.id for e in invented}
    assert all(not e.place for e in invented)
    overall = evaluate(invented).overall
    assert overall.precision >= MIN_SCORE and overall.recall >= MIN_SCORE
