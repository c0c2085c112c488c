"""Web UI of the funnel: server-rendered pages over the same selectors and services the API uses.

Views are thin: check the form, call one service, redirect with a message; a domain error is shown with
every failed rule check. A lead the user may not see is a 404, as in the API.
"""
