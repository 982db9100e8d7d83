"""The capstone (lesson 08): a brief in numbers, a design in YAML, and the checks.

- ``brief``: the platform, its traffic, its budget and the vendor price it is read at;
- ``design``: reading a learner's design file (one clear line when it cannot);
- ``traffic``: a stratified, scaled-down month of synthetic traces with the brief's mix;
- ``simulate``: that month through the design's SDK sampler and Collector tiers, with
  the course's own sampler, tail sampling, redaction and store;
- ``structure``: what a replay cannot show (routing, sizing, rollout order);
- ``rubric``: the prose parts, self-assessed against model answers.
"""

from .brief import BRIEF, MONTH_6, Brief, describe
from .design import DesignError, load
from .simulate import Report, run

__all__ = ["BRIEF", "MONTH_6", "Brief", "DesignError", "Report", "describe", "load", "run"]
