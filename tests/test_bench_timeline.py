"""bench/timeline.py reads ``perf script`` output as perf writes it: one block per sample
(thread id, time, then the stack, leaf first), and names Rust symbols by their type."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_timeline", ROOT / "bench" / "timeline.py")
timeline = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(timeline)

# two samples of `perf script -F tid,time,ip,sym` (with -g): a Polars thread casting to
# Categorical, then the main thread in the interpreter (perf indents the stack with a tab
# and ends each header line with a space)
CAST = (
    "<polars_utils::parma::raw::RawTable<str, u32>>::try_get_or_insert_with::<polars_error::"
    "PolarsError, <polars_dtype::categorical::mapping::CategoricalMapping>::insert_cat_with_"
    "hash::{closure#0}>"
)
SCRIPT = "\n".join(
    [
        "   13712 64430.519820: ",
        f"\t    7f3a1c2d4e5f {CAST}",
        "\t    7f3a1c2d0000 [unknown]",
        "",
        "   13700 64430.523908: ",
        "\t    55d0aa01b2c3 unicodekeys_lookup_unicode",
        "\t    55d0aa01c000 _PyEval_EvalFrameDefault",
        "\t    55d0aa01d000 _PyEval_Vector",
        "",
        "",
    ]
)


def test_samples_keep_time_leaf_and_whether_python_ran():
    got = timeline.samples(SCRIPT)
    assert [(round(t, 6), p) for t, _, p in got] == [(64430.51982, False), (64430.523908, True)]
    assert got[0][1] == CAST
    assert got[1][1] == "unicodekeys_lookup_unicode"


def test_symbols_are_named_by_type_and_method():
    assert timeline.short(timeline.samples(SCRIPT)[0][1]) == (
        "RawTable<str, u32>::try_get_or_insert_with"
    )
    grouper = (
        "<polars_expr::groups::single_key::SingleKeyHashGrouper<polars_core::datatypes::"
        "UInt32Type> as polars_expr::groups::Grouper>::insert_keys_subset"
    )
    assert timeline.short(grouper) == "SingleKeyHashGrouper<UInt32Type>::insert_keys_subset"
    free = (
        "core::slice::sort::unstable::quicksort::quicksort::<usize, <usize as core::cmp::"
        "PartialOrd>::lt>"
    )
    assert timeline.short(free) == "quicksort::quicksort::<usize, <usize as PartialOrd>::lt>"
    assert timeline.short("clear_page_erms") == "clear_page_erms"
    assert timeline.short(grouper, width=20) == "SingleKeyHashGrouper"
