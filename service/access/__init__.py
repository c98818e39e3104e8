"""Who is asking and what they may do: principals, visibility policy, API tokens, sessions."""
