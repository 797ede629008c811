"""Exceptions raised for bad input. Each message names the file, the row or
case, and the field, so a user can find and fix the problem."""


class PipelineError(Exception):
    """Base class for errors caused by input the user can fix."""


class ConfigError(PipelineError):
    """The configuration (config.yaml, sources.yaml, models.yaml) is invalid."""


class FetchError(PipelineError):
    """A source could not be fetched or failed its checksum."""


class SourceFormatError(PipelineError):
    """A fetched source file does not have the structure we expect."""


class CaseError(PipelineError):
    """One or more case files are invalid."""
