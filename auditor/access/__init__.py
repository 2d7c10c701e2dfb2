"""Effective access: who can act as whom, and so who can do what to each notebook, through which chain.

`graph` builds the access graph from the model (the same code for Terraform intent and live state), `techniques`
is the catalog of edges as data, `closure` walks it, `escalation` finds what a principal gains, `queries` answers
`auditor access who-can | what-can | matrix`, and `render` draws the answers (table, JSON, Markdown with Mermaid,
dot). The static path imports this package only when the intent has IAM to judge.
"""
