"""The checker's measured accuracy on the labelled corpus must not regress."""

from suiqian.policies.evaluation import evaluate, load_corpus
from suiqian.policies.rules import load_rules

MIN_SCORE = 0.95


def test_it_has_a_corpus_large_and_varied_enough_to_measure():
    excerpts = load_corpus()
    assert len(excerpts) >= 80
    assert len({e.id for e in excerpts}) == len(excerpts)
    assert sum(1 for e in excerpts if not e.expected) * 3 >= len(excerpts)
    codes = {r.code for r in load_rules().rules}
    supports = {code: sum(code in e.expected for e in excerpts) for code in codes}
    assert all(n >= 5 for n in supports.values()), supports
    assert set().union(*(e.expected for e in excerpts)) <= codes


def test_it_scores_at_least_095_overall_precision_and_recall_on_the_corpus():
    evaluation = evaluate(load_corpus())
    overall = evaluation.overall
    assert overall.precision >= MIN_SCORE and overall.recall >= MIN_SCORE, evaluation.mistakes
