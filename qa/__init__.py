"""qa: bilingual (中文 / English) semantic search and question answering with citations."""

__version__ = "0.1.0"
