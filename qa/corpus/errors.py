"""The one error type of the corpus layer: a document or corpus folder that cannot be used."""


class CorpusError(ValueError):
    pass
