"""The matrix: every valid combination of the options, rendered and checked (render tier), its
generated tests and local loop run (run tier), reported, and driven by `mlops-scaffold matrix`.

combinations: the valid combinations; render_tier: render and check them (render_passes: the
passes it remembers); run_tier/: run them; cli: the command. The combinations are re-exported
here, the names most callers need.
"""

from mlops_scaffold.matrix.combinations import Combination, full_answers, valid_combinations

__all__ = ["Combination", "full_answers", "valid_combinations"]
