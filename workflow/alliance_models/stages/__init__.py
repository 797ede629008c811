"""The pipeline's stages: one module per rule, each with one ``run``.

Rule ``<rule>`` (workflow/rules/*.smk) runs a script of a few lines that
sets up the log and calls ``alliance_models.stages.<rule>.run``, which reads
the inputs, calls the logic (elsewhere in the package) and writes the outputs
(atomically: :mod:`alliance_models.io`). Tests call the same functions
without Snakemake. A rule lists the package files its stage runs
(:func:`alliance_models.codedeps.module_files`) as inputs, so editing one
reruns exactly the jobs that run it.

``model_figures`` serves the rules model_figures and case_model_figures;
``report`` the rule report.
"""
