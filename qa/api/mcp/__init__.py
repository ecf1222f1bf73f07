"""The documents as MCP tools (search, ask, get_passage, list_documents), over stdio (`qa mcp`)
and streamable HTTP (`/mcp` of `qa serve`)."""
