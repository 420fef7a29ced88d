"""Use cases: one function each, taking the app object, the actor and the command."""
