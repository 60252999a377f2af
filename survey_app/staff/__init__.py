"""Staff routes (EDI leads, FTSU guardians, administrators): sessions and CSRF live here only.

Respondent routes never pass through this package's middleware, so they never set a cookie.
"""
