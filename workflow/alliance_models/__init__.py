"""alliance-models: power disparity, external threat and alliance behaviour.

The package holds every piece of logic of the Snakemake pipeline; rules and
scripts under ``workflow/`` only call into it, and tests import it directly.
"""

__version__ = "0.1.0"
