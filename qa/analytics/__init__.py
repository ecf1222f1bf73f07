"""What visitors ask and think of the answers: the question log, feedback and content gaps.

`identity` signs answer ids and hashes visitors; `recorder` writes the log in the background so
a request never waits for (or fails with) the database; `reports` reads it back as a summary,
a question list (JSON or CSV) and the content gaps.
"""
