"""zhudai: loan-facilitation risk platform."""

__version__ = "0.1.0"
