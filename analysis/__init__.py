"""Why did a metric move: pure functions over numbers and frames, no database inside.

- ranges.py: the two day ranges being compared (this vs previous, vs last year, custom A vs B);
- decompose.py: split one change among factors (additive, LMDI-I, Shapley) so the parts add up;
- formula.py: evaluate a derived metric's formula on plain numbers (for Shapley);
- tree.py: contributions of each child along `north_star.tree`, recursively;
- segments.py: which segments (one dimension or a pair) moved the metric, ranked;
- leadlag.py: which metric's changes lead another's (correlation at lags);
- explain.py: one explanation from the metric service's numbers (metric_layer.segment_frames,
  batched, and range_compare);
- report.py: an explanation as plain records for the CLI and the Drivers page.

Only explain.py asks the metric service for numbers; everything else here is testable with
hand-made inputs, like chaos-genius's root-cause analysis over two frames.
"""
