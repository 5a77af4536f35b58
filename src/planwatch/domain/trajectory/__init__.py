"""The parts of the trajectory assessment; ``planwatch.domain.assessment.assess`` is the entry.

- ``spec``: ``TargetSpec``, the looser target shape of ``planwatch assess``;
- ``plan``: a target compiled once (kind rules, goals by year, baseline) and cached;
- ``series``: the observations known by ``as_of``, one per period, turned into the measured
  series of the kind;
- ``methods``: the formulas (progress ratio, planned path, projection, pace, band);
- ``explain``: the sentences a leader reads.
"""
