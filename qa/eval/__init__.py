"""`qa eval`: retrieval quality and abstention on a question file."""
