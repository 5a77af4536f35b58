import pytest

# the counts in pipeline.py are asserts: show their operands when they fail
pytest.register_assert_rewrite("faults.pipeline")
