"""Loading and cleaning of the external sources (never imports ``models``)."""
